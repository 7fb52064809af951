/**
 * Canonical model as JSON Schema (TypeBox builds the schema and the TypeScript type from one
 * definition). These are the only shapes of an order, shipment, waybill, tracking event,
 * customs declaration, inventory level, bill and return inside the hub.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ISO_3166_ALPHA2, ISO_4217_CURRENCIES } from './iso-codes.js';
import { DECIMAL_PATTERN } from './money.js';
import { MULTI_LINE_TEXT_PATTERN, SINGLE_LINE_TEXT_PATTERN } from './text.js';
import { EXCEPTION_REASONS, SHIPMENT_STATUSES, TRACKING_CODE_LIST, TRACKING_STAGES } from './tracking.js';
import { ORDER_STATUSES } from './order-status.js';
import { CODE_STANDARD } from './validation.js';

export const COUNTRY_CODES: readonly string[] = ISO_3166_ALPHA2;
export const CURRENCY_CODES: readonly string[] = ISO_4217_CURRENCIES;

const literalUnion = <T extends readonly string[]>(values: T, description: string, standard?: string) =>
  Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    description,
    ...(standard ? { [CODE_STANDARD]: standard } : {}),
  });

export const CountryCode = literalUnion(
  COUNTRY_CODES,
  'ISO 3166-1 alpha-2 country code',
  'ISO 3166-1 alpha-2',
);
export const CurrencyCode = literalUnion(CURRENCY_CODES, 'ISO 4217 currency code', 'ISO 4217');
export const DecimalAmount = Type.String({
  pattern: DECIMAL_PATTERN,
  description: 'Decimal amount as a string, e.g. "12.50"; never a float',
});
export const HsCode = Type.String({ pattern: '^\\d{6}(\\d{2}){0,2}$', description: 'HS code, 6–10 digits' });
export const Timestamp = Type.String({ format: 'date-time' });
/**
 * Every canonical string is canonical text (text.ts): no control characters, noncharacters or
 * lone surrogates — what cannot be written to XML or printed on a label is refused at the edge.
 * One line unless the field is prose (descriptions, notes), which may hold tabs and line feeds.
 */
const Text = (max: number, min = 1, lines: 'single' | 'multi' = 'single') =>
  Type.String({
    minLength: min,
    maxLength: max,
    pattern: lines === 'multi' ? MULTI_LINE_TEXT_PATTERN : SINGLE_LINE_TEXT_PATTERN,
  });
const Prose = (max: number, min = 1) => Text(max, min, 'multi');
const Id = Text(64);

export const MoneySchema = Type.Object(
  { amount: DecimalAmount, currency: CurrencyCode },
  { additionalProperties: false },
);

export const Address = Type.Object(
  {
    name: Text(200),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()-]{5,24}$' })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    company: Type.Optional(Text(200)),
    line1: Text(200),
    line2: Type.Optional(Text(200, 0)),
    city: Text(100),
    state: Type.Optional(Text(100)),
    postalCode: Type.Optional(Text(20)),
    country: CountryCode,
    /** Consignee ID number, required by some import customs regimes (e.g. China, Korea). */
    idNumber: Type.Optional(Text(40)),
  },
  { additionalProperties: false },
);
export type Address = Static<typeof Address>;

/**
 * Customs data of a line: filled from the product catalogue (store/products.ts) when the order
 * does not carry it. Real platform orders never carry HS codes.
 */
const customsFields = {
  hsCode: HsCode,
  originCountry: CountryCode,
  weightGrams: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
};
const lineFields = {
  sku: Text(64),
  description: Prose(500),
  quantity: Type.Integer({ minimum: 1, maximum: 100000 }),
  unitPrice: DecimalAmount,
  /** Names for the customs declaration, from the catalogue (English and Chinese). */
  declaredNameEn: Type.Optional(Text(200)),
  declaredNameZh: Type.Optional(Text(200)),
  /** Declared value of one unit, from the catalogue (may differ from the sale price). */
  declaredValue: Type.Optional(MoneySchema),
};

/** A line ready to ship: every customs field present. */
export const OrderItem = Type.Object({ ...lineFields, ...customsFields }, { additionalProperties: false });
export type OrderItem = Static<typeof OrderItem>;

/**
 * A line as an order brings it: the customs fields may be missing, and the catalogue fills them.
 * An order with a line the catalogue cannot complete waits in `needs_data` (never ships).
 */
export const OrderLine = Type.Object(
  {
    ...lineFields,
    hsCode: Type.Optional(customsFields.hsCode),
    originCountry: Type.Optional(customsFields.originCountry),
    weightGrams: Type.Optional(customsFields.weightGrams),
  },
  { additionalProperties: false },
);
export type OrderLine = Static<typeof OrderLine>;

/** The customs fields an OrderLine may lack. */
export const CUSTOMS_FIELDS = ['hsCode', 'originCountry', 'weightGrams'] as const;
export type CustomsField = (typeof CUSTOMS_FIELDS)[number];

/** Product master data per SKU (the catalogue): what customs needs of every line. */
export const Product = Type.Object(
  {
    sku: Text(64),
    hsCode: HsCode,
    originCountry: CountryCode,
    nameEn: Text(200),
    nameZh: Text(200),
    weightGrams: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    declaredValue: DecimalAmount,
    currency: CurrencyCode,
  },
  { additionalProperties: false },
);
export type Product = Static<typeof Product>;

/** The buyer who paid (订购人): customs checks the name against the ID number. Personal data: sealed at rest. */
export const Buyer = Type.Object(
  {
    name: Text(60),
    phone: Type.String({ pattern: '^\\+?[0-9 ()-]{5,24}$' }),
    idType: literalUnion(['national-id', 'other'] as const, 'Kind of identity document'),
    idNumber: Text(60),
  },
  { additionalProperties: false },
);
export type Buyer = Static<typeof Buyer>;

/** How the order was paid, as the payment company reports it (the second of the three documents). */
export const Payment = Type.Object(
  {
    /** The payment company (a finance partner id or its name). */
    provider: Text(100),
    transactionId: Text(60),
    amount: DecimalAmount,
    paidAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Payment = Static<typeof Payment>;

/** Amounts beside the goods value, in the order's currency; an absent one is zero. */
export const Charges = Type.Object(
  {
    freight: Type.Optional(DecimalAmount),
    insurance: Type.Optional(DecimalAmount),
    /** Non-cash deductions (points, vouchers): subtracted from what the buyer paid. */
    discount: Type.Optional(DecimalAmount),
    /** Tax collected in advance by the seller (代扣税款). */
    tax: Type.Optional(DecimalAmount),
  },
  { additionalProperties: false },
);
export type Charges = Static<typeof Charges>;

export const OrderInput = Type.Object(
  {
    source: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: 'Partner id of the sales channel',
    }),
    externalId: Text(100),
    currency: CurrencyCode,
    recipient: Address,
    items: Type.Array(OrderLine, { minItems: 1, maxItems: 500 }),
    placedAt: Type.Optional(Timestamp),
    notes: Type.Optional(Prose(1000, 0)),
    /** Customs data (optional): who paid, how, and the charges beside the goods. */
    buyer: Type.Optional(Buyer),
    payment: Type.Optional(Payment),
    charges: Type.Optional(Charges),
  },
  { additionalProperties: false },
);
export type OrderInput = Static<typeof OrderInput>;

export const OrderStatusSchema = literalUnion(ORDER_STATUSES, 'Order status');
export const ShipmentStatusSchema = literalUnion(SHIPMENT_STATUSES, 'Normalised shipment status');
export const TrackingCodeSchema = literalUnion(TRACKING_CODE_LIST, 'Normalised tracking event code');
export const TrackingStageSchema = literalUnion(TRACKING_STAGES, 'Leg of the journey');
export const ExceptionReasonSchema = literalUnion(
  EXCEPTION_REASONS,
  'Why a delivery failed or customs holds',
);

export const Location = Type.Object(
  {
    city: Type.Optional(Text(100)),
    country: Type.Optional(CountryCode),
    facility: Type.Optional(Text(200)),
  },
  { additionalProperties: false },
);

export const TrackingEvent = Type.Object(
  {
    carrier: Id,
    waybillNo: Text(64),
    eventId: Text(128),
    code: TrackingCodeSchema,
    stage: TrackingStageSchema,
    partnerCode: Text(64),
    description: Prose(500, 0),
    occurredAt: Timestamp,
    location: Type.Optional(Location),
    reason: Type.Optional(ExceptionReasonSchema),
    /** For handovers: the carrier taking custody next, and its own tracking number. */
    nextCarrier: Type.Optional(Text(100)),
    nextTrackingNo: Type.Optional(Text(64)),
    estimatedDelivery: Type.Optional(Timestamp),
    /** The carrier weighed or measured the parcel at this scan: its figures re-price the shipment. */
    measured: Type.Optional(
      Type.Object(
        {
          weightGrams: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          dimsCm: Type.Optional(
            Type.Object(
              {
                length: Type.Integer({ minimum: 1, maximum: 1000 }),
                width: Type.Integer({ minimum: 1, maximum: 1000 }),
                height: Type.Integer({ minimum: 1, maximum: 1000 }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false, minProperties: 1 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TrackingEvent = Static<typeof TrackingEvent>;

export const Waybill = Type.Object(
  {
    carrier: Id,
    waybillNo: Text(64),
    labelUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    labelFormat: Type.Optional(Type.Union([Type.Literal('PDF'), Type.Literal('ZPL'), Type.Literal('PNG')])),
    issuedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Waybill = Static<typeof Waybill>;

export const Shipment = Type.Object(
  {
    id: Id,
    orderId: Id,
    carrier: Id,
    waybillNo: Text(64),
    status: ShipmentStatusSchema,
    lastEventAt: Type.Optional(Timestamp),
    estimatedDelivery: Type.Optional(Timestamp),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Shipment = Static<typeof Shipment>;

export const Order = Type.Object(
  {
    id: Id,
    source: Id,
    externalId: Text(100),
    status: OrderStatusSchema,
    currency: CurrencyCode,
    totalValue: DecimalAmount,
    destinationCountry: CountryCode,
    recipient: Address,
    items: Type.Array(OrderLine),
    buyer: Type.Optional(Buyer),
    payment: Type.Optional(Payment),
    charges: Type.Optional(Charges),
    notes: Type.Optional(Prose(1000, 0)),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Order = Static<typeof Order>;

export const CustomsDeclaration = Type.Object(
  {
    id: Id,
    orderId: Id,
    direction: Type.Union([Type.Literal('export'), Type.Literal('import')]),
    regime: Type.String({
      description: 'e.g. CN-9610 (B2C direct export), CN-9710, CN-9810, EU-IOSS, US-T86',
    }),
    status: literalUnion(
      ['draft', 'submitted', 'processing', 'held', 'released', 'rejected', 'cancelled'] as const,
      'Declaration status',
    ),
    declarant: Text(200),
    currency: CurrencyCode,
    totalValue: DecimalAmount,
    items: Type.Array(
      Type.Object(
        {
          hsCode: HsCode,
          description: Prose(500),
          quantity: Type.Integer({ minimum: 1 }),
          unit: Text(10),
          value: DecimalAmount,
          originCountry: CountryCode,
          netWeightGrams: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    receipts: Type.Array(
      Type.Object(
        { at: Timestamp, status: Text(40), note: Type.Optional(Prose(500, 0)) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CustomsDeclaration = Static<typeof CustomsDeclaration>;

export const InventoryLevel = Type.Object(
  {
    warehouseId: Id,
    sku: Text(64),
    onHand: Type.Integer({ minimum: 0 }),
    reserved: Type.Integer({ minimum: 0 }),
    available: Type.Integer(),
    inbound: Type.Integer({ minimum: 0 }),
    asOf: Timestamp,
  },
  { additionalProperties: false },
);
export type InventoryLevel = Static<typeof InventoryLevel>;

export const Bill = Type.Object(
  {
    id: Id,
    partnerId: Id,
    period: Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false }),
    currency: CurrencyCode,
    lines: Type.Array(
      Type.Object(
        {
          waybillNo: Type.Optional(Text(64)),
          orderId: Type.Optional(Id),
          feeType: literalUnion(
            [
              'freight',
              'fuel_surcharge',
              'remote_area',
              'duties',
              'taxes',
              'storage',
              'handling',
              'other',
            ] as const,
            'Fee type',
          ),
          amount: DecimalAmount,
        },
        { additionalProperties: false },
      ),
    ),
    total: DecimalAmount,
    status: literalUnion(['open', 'reconciled', 'disputed', 'settled'] as const, 'Bill status'),
  },
  { additionalProperties: false },
);
export type Bill = Static<typeof Bill>;

export const Return = Type.Object(
  {
    id: Id,
    orderId: Id,
    reason: literalUnion(
      ['damaged', 'wrong_item', 'not_as_described', 'no_longer_needed', 'undeliverable', 'other'] as const,
      'Return reason',
    ),
    kind: Type.Union([Type.Literal('return'), Type.Literal('exchange')]),
    status: literalUnion(
      ['requested', 'approved', 'in_transit', 'received', 'refunded', 'rejected'] as const,
      'Return status',
    ),
    items: Type.Array(
      Type.Object({ sku: Text(64), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      { minItems: 1 },
    ),
    returnWaybillNo: Type.Optional(Text(64)),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type Return = Static<typeof Return>;

/** Every canonical schema by name, for export (`waygate schemas`) and documentation. */
export const CANONICAL_SCHEMAS: Record<string, TSchema> = {
  OrderInput,
  Order,
  OrderItem,
  OrderLine,
  Product,
  Address,
  Buyer,
  Payment,
  Charges,
  Money: MoneySchema,
  Shipment,
  Waybill,
  TrackingEvent,
  CustomsDeclaration,
  InventoryLevel,
  Bill,
  Return,
};
