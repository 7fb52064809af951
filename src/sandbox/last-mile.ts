/**
 * Where a sandbox warehouse books the last mile of the orders it ships: a real overseas
 * warehouse hands its parcels to a carrier under its own account, and that carrier then scans
 * and tracks the parcel like any other — it knows the waybill because it issued it. A sandbox
 * carrier that takes such parcels offers a booking here; the warehouse books through it and
 * reports the carrier's waybill to the seller. Neither imports the other: they meet here, the
 * way the ledger (billing.ts) lets carriers note parcels for their bills.
 */

/** A parcel a warehouse hands over: its own reference, where it leaves from and goes to. */
export interface HandedOverParcel {
  /** The warehouse's reference of the shipment (its outbound number). */
  reference: string;
  from: { city: string; country: string };
  to: { name: string; city: string; country: string; postcode?: string };
}

/** A carrier's booking of a handed-over parcel: answers the waybill it issued. */
export type LastMileBooking = (parcel: HandedOverParcel) => string;

export class LastMileDesk {
  readonly #carriers = new Map<string, LastMileBooking>();

  /** A carrier takes parcels from warehouses under the id the hub knows it by. */
  offer(carrier: string, book: LastMileBooking): void {
    this.#carriers.set(carrier, book);
  }

  /** Books the parcel with the carrier; undefined when no such carrier takes parcels here. */
  book(carrier: string, parcel: HandedOverParcel): string | undefined {
    return this.#carriers.get(carrier)?.(parcel);
  }
}
