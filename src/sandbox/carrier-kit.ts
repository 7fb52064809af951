/**
 * What the simulated real-dialect carriers (4PX, YunExpress, Yanwen, Cainiao, UPS) share and
 * what none of them speaks: the book of parcels a carrier accepted (with its reference for
 * idempotency, and the counters the demo reads), the two fault channels each is mounted on, and
 * label files. Each carrier's dialect — signing, envelope, error codes, tracking codes — lives
 * in its own file and nowhere else.
 */
import { deflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import {
  CHANNEL_PREFIX,
  CHANNELS,
  channelStats,
  newChannelCounters,
  type Channel,
  type ChannelStats,
  type FaultResponder,
} from './faults.js';
import { journeyFor, type JourneyEvent } from './journey.js';
import type { SandboxContext } from './types.js';

export interface Parcel {
  waybillNo: string;
  /** The customer's reference the carrier de-duplicates creates on. */
  reference: string;
  recipientName: string;
  country: string;
  city: string;
  createdAtMs: number;
  cancelled: boolean;
}

export interface CarrierCounters {
  calls: number;
  shipmentsCreated: number;
  /** Two parcels for one reference: what a hub that retries badly causes. */
  duplicateCreates: number;
  idempotentReplays: number;
  signatureFailures: number;
  validationErrors: number;
  trackingQueries: number;
  labelsServed: number;
  cancelled: number;
}

export type CarrierBookStats = CarrierCounters & { channels: Record<Channel, ChannelStats> } & Record<
    string,
    unknown
  >;

export class ParcelBook {
  readonly parcels = new Map<string, Parcel>();
  readonly byReference = new Map<string, Parcel>();
  readonly counters: CarrierCounters = {
    calls: 0,
    shipmentsCreated: 0,
    duplicateCreates: 0,
    idempotentReplays: 0,
    signatureFailures: 0,
    validationErrors: 0,
    trackingQueries: 0,
    labelsServed: 0,
    cancelled: 0,
  };
  readonly perChannel = newChannelCounters();

  constructor(
    readonly id: string,
    private readonly ctx: SandboxContext,
  ) {}

  /** Records a new parcel under a waybill number the carrier chose. */
  add(parcel: Omit<Parcel, 'cancelled'>, channel: Channel): Parcel {
    const p: Parcel = { ...parcel, cancelled: false };
    if (this.byReference.has(p.reference)) {
      this.counters.duplicateCreates++;
      this.perChannel[channel].duplicateCreates++;
    }
    this.parcels.set(p.waybillNo, p);
    this.byReference.set(p.reference, p);
    this.counters.shipmentsCreated++;
    this.perChannel[channel].shipmentsCreated++;
    return p;
  }

  replayed(channel: Channel): void {
    this.counters.idempotentReplays++;
    this.perChannel[channel].idempotentReplays++;
  }

  /** The journey steps already reached on the sandbox's accelerated clock. */
  due(p: Parcel, nowMs: number): JourneyEvent[] {
    return journeyFor(p.waybillNo, p.createdAtMs, this.ctx.stepMs).filter((e) => e.atMs <= nowMs);
  }

  stats(): CarrierBookStats {
    return { ...this.counters, channels: channelStats(this.id, this.perChannel, this.ctx.faults) };
  }

  /** Mounts the carrier's API on both channels behind its fault knobs, counting every call. */
  mount(
    app: FastifyInstance,
    refusal: FaultResponder,
    routes: (scope: FastifyInstance, channel: Channel) => void,
  ): void {
    for (const channel of CHANNELS) {
      void app.register(
        async (scope) => {
          scope.addHook('onRequest', async () => {
            this.counters.calls++;
            this.perChannel[channel].calls++;
          });
          this.ctx.faults?.install(scope, this.id, channel, refusal);
          routes(scope, channel);
        },
        { prefix: CHANNEL_PREFIX[channel] },
      );
    }
  }

  clear(): void {
    this.parcels.clear();
    this.byReference.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Label files: real formats a label printer or viewer opens, carrying the recipient's name
// (personal data: the hub must seal what it stores).

/** A one-page PDF with the waybill number and recipient, with a correct xref table. */
export function pdfLabel(carrier: string, p: Parcel): Buffer {
  const esc = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').replace(/([()\\])/g, '\\$1');
  const text = `BT /F1 14 Tf 20 260 Td (${esc(carrier)} ${esc(p.waybillNo)}) Tj 0 -24 Td (${esc(p.recipientName)}) Tj 0 -24 Td (${esc(p.city)} ${esc(p.country)}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 288] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** ZPL II for a 4x6 thermal printer. */
export function zplLabel(carrier: string, p: Parcel): Buffer {
  const clean = (s: string) => s.replace(/[\^~]/g, ' ');
  return Buffer.from(
    `^XA^CI28^FO40,40^A0N,40,40^FD${clean(carrier)}^FS^FO40,100^BCN,120,Y,N,N^FD${clean(p.waybillNo)}^FS` +
      `^FO40,280^A0N,30,30^FD${clean(p.recipientName)}^FS^FO40,320^A0N,30,30^FD${clean(p.city)} ${p.country}^FS^XZ\n`,
    'utf8',
  );
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A small greyscale PNG whose bars encode the waybill number, with the recipient in a tEXt chunk. */
export function pngLabel(carrier: string, p: Parcel): Buffer {
  const width = 200;
  const height = 60;
  const bits = [...Buffer.from(p.waybillNo, 'latin1')].flatMap((b) => [...b.toString(2).padStart(8, '0')]);
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width + 1);
    for (let x = 0; x < width; x++) row[x + 1] = bits[x % bits.length] === '1' ? 0 : 255;
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from(`Comment\0${carrier} ${p.waybillNo} ${p.recipientName}`, 'latin1')),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function labelFile(
  format: 'PDF' | 'ZPL' | 'PNG',
  carrier: string,
  p: Parcel,
): { type: string; data: Buffer } {
  if (format === 'ZPL') return { type: 'application/zpl', data: zplLabel(carrier, p) };
  if (format === 'PNG') return { type: 'image/png', data: pngLabel(carrier, p) };
  return { type: 'application/pdf', data: pdfLabel(carrier, p) };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `yyyy-MM-dd HH:mm:ss` at a fixed offset from UTC (Beijing time is +8). */
export function localTime(ms: number, offsetHours: number, sep = ' '): string {
  const d = new Date(ms + offsetHours * 3600_000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** The destination gateway city a parcel's line haul lands in. */
export function gatewayCity(country: string, fallback: string): string {
  const cities: Record<string, string> = {
    US: 'Los Angeles',
    GB: 'London',
    DE: 'Frankfurt',
    FR: 'Paris',
    ES: 'Madrid',
    IT: 'Milan',
    NL: 'Amsterdam',
    AU: 'Sydney',
    CA: 'Toronto',
    JP: 'Tokyo',
  };
  return cities[country] ?? fallback;
}
