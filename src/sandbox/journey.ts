/**
 * A sandbox parcel's life, in neutral step names each simulated carrier renders in its own
 * codes. The script is derived from the waybill number, so a given parcel always takes the same
 * path (a customs hold, a failed first delivery attempt) and tests can rely on it.
 */
import { createHash } from 'node:crypto';

export type JourneyStep =
  | 'label_created'
  | 'picked_up'
  | 'origin_arrived'
  | 'export_customs_started'
  | 'export_customs_released'
  | 'linehaul_handover'
  | 'linehaul_departed'
  | 'linehaul_arrived'
  | 'import_customs_started'
  | 'import_customs_held'
  | 'import_customs_released'
  | 'lastmile_handover'
  | 'out_for_delivery'
  | 'delivery_failed'
  | 'delivered';

export interface JourneyEvent {
  seq: number;
  step: JourneyStep;
  /** When the step happens on the sandbox's accelerated clock (ms since epoch). */
  atMs: number;
}

/**
 * `domestic`: a parcel that starts in its destination country (an overseas warehouse's last
 * mile) — no export, line haul or import clearance.
 */
export function journeyFor(
  waybillNo: string,
  startMs: number,
  stepMs: number,
  opts: { domestic?: boolean } = {},
): JourneyEvent[] {
  const h = createHash('sha256').update(waybillNo).digest();
  const customsHold = (h[0] ?? 0) % 10 === 0; // about one parcel in ten
  const failedAttempt = (h[1] ?? 0) % 8 === 0; // about one in eight
  if (opts.domestic) {
    const local: JourneyStep[] = [
      'label_created',
      'picked_up',
      'origin_arrived',
      'out_for_delivery',
      ...(failedAttempt ? (['delivery_failed', 'out_for_delivery'] as const) : []),
      'delivered',
    ];
    return local.map((step, i) => ({ seq: i + 1, step, atMs: startMs + i * stepMs }));
  }
  const steps: JourneyStep[] = [
    'label_created',
    'picked_up',
    'origin_arrived',
    'export_customs_started',
    'export_customs_released',
    'linehaul_handover',
    'linehaul_departed',
    'linehaul_arrived',
    'import_customs_started',
    ...(customsHold ? (['import_customs_held'] as const) : []),
    'import_customs_released',
    'lastmile_handover',
    'out_for_delivery',
    ...(failedAttempt ? (['delivery_failed', 'out_for_delivery'] as const) : []),
    'delivered',
  ];
  return steps.map((step, i) => ({ seq: i + 1, step, atMs: startMs + i * stepMs }));
}
