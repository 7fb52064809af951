/**
 * The sandbox shop's order generator: believable, varied orders in the shop's own
 * Shopify-like dialect. Everything is drawn from a PRNG seeded per order, so an order can be
 * regenerated from its run and position alone (the shop keeps no order bodies in memory).
 */

export interface ShopAddress {
  first_name: string;
  last_name: string;
  name: string;
  phone: string | null;
  company: string | null;
  address1: string;
  address2: string | null;
  city: string;
  province: string | null;
  province_code: string | null;
  zip: string;
  country: string;
  country_code: string;
}

export interface ShopLineItem {
  id: number;
  variant_id: number;
  product_id: number;
  sku: string;
  title: string;
  variant_title: string | null;
  vendor: string;
  quantity: number;
  price: string;
  grams: number;
  requires_shipping: boolean;
  taxable: boolean;
  harmonized_system_code: string;
  country_code_of_origin: string;
  fulfillment_status: string | null;
}

export interface ShopOrder {
  id: number;
  admin_graphql_api_id: string;
  name: string;
  order_number: number;
  email: string;
  phone: string | null;
  created_at: string;
  updated_at: string;
  currency: string;
  presentment_currency: string;
  subtotal_price: string;
  total_shipping_price: string;
  total_tax: string;
  total_price: string;
  total_weight: number;
  financial_status: string;
  fulfillment_status: string | null;
  tags: string;
  note: string | null;
  line_items: ShopLineItem[];
  shipping_address: ShopAddress;
}

/** mulberry32: small, fast, and good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, to turn a run id into a seed. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Rand = () => number;
const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const int = (rand: Rand, min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
const digits = (rand: Rand, n: number): string =>
  Array.from({ length: n }, () => String(int(rand, 0, 9))).join('');
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const letter = (rand: Rand, set = LETTERS): string => set.charAt(Math.floor(rand() * set.length));

interface City {
  city: string;
  province?: string;
  provinceCode?: string;
  /** Postal code for this city, from a per-city prefix. */
  zip: (rand: Rand) => string;
  /** Phone area code (national, without trunk prefix) where the country uses them. */
  area?: string;
}

type Locale = 'en' | 'de' | 'fr' | 'es' | 'it' | 'nl' | 'ja' | 'pt' | 'sv' | 'pl';

interface Market {
  code: string;
  country: string;
  currency: string;
  /** Units of the currency per US dollar (rounded, sandbox only). */
  fx: number;
  /** Currency without minor units (prices are whole numbers). */
  wholeUnits?: boolean;
  weight: number;
  locale: Locale;
  cities: City[];
  phone: (rand: Rand, city: City) => string;
  street: (rand: Rand) => string;
  unit: (rand: Rand) => string;
}

const zip5 = (prefix: string) => (rand: Rand) => prefix + digits(rand, 5 - prefix.length);
const caPostal = (fsa: string) => (rand: Rand) =>
  `${fsa} ${int(rand, 1, 9)}${letter(rand, 'ABCEGHJKLMNPRSTVWXYZ')}${int(rand, 0, 9)}`;
const gbPostal = (outward: string) => (rand: Rand) =>
  `${outward} ${int(rand, 0, 9)}${letter(rand, 'ABDEFGHJLNPQRSTUWXYZ')}${letter(rand, 'ABDEFGHJLNPQRSTUWXYZ')}`;
const nlPostal = (prefix: string) => (rand: Rand) =>
  `${prefix}${digits(rand, 4 - prefix.length)} ${letter(rand, 'ABCDEGHJKLMNPRTVWXZ')}${letter(rand, 'ABCDEGHJKLMNPRTVWXZ')}`;
const jpPostal = (prefix: string) => (rand: Rand) =>
  `${prefix}${digits(rand, 3 - prefix.length)}-${digits(rand, 4)}`;
const brPostal = (prefix: string) => (rand: Rand) =>
  `${prefix}${digits(rand, 5 - prefix.length)}-${digits(rand, 3)}`;
const sePostal = (prefix: string) => (rand: Rand) =>
  `${prefix}${digits(rand, 3 - prefix.length)} ${digits(rand, 2)}`;
const plPostal = (prefix: string) => (rand: Rand) => `${prefix}-${digits(rand, 3)}`;
const auPostal = (base: number) => (rand: Rand) => String(base + int(rand, 0, 199)).padStart(4, '0');

const nanpPhone = (rand: Rand, city: City) => `+1${city.area ?? '212'}${int(rand, 2, 9)}${digits(rand, 6)}`;

const EN_STREETS = [
  'Maple Ave',
  'Oak Street',
  'Pine Road',
  'Cedar Lane',
  'Elm Street',
  'Main Street',
  'Park Avenue',
  'Lakeview Drive',
  'Hillcrest Road',
  'Washington Blvd',
  'Sunset Boulevard',
  'Church Road',
  'Victoria Street',
  'King Street',
  'High Street',
];

const MARKETS: Market[] = [
  {
    code: 'US',
    country: 'United States',
    currency: 'USD',
    fx: 1,
    weight: 30,
    locale: 'en',
    cities: [
      { city: 'New York', province: 'New York', provinceCode: 'NY', zip: zip5('100'), area: '212' },
      { city: 'Brooklyn', province: 'New York', provinceCode: 'NY', zip: zip5('112'), area: '718' },
      { city: 'Los Angeles', province: 'California', provinceCode: 'CA', zip: zip5('900'), area: '213' },
      { city: 'San Francisco', province: 'California', provinceCode: 'CA', zip: zip5('941'), area: '415' },
      { city: 'Chicago', province: 'Illinois', provinceCode: 'IL', zip: zip5('606'), area: '312' },
      { city: 'Houston', province: 'Texas', provinceCode: 'TX', zip: zip5('770'), area: '713' },
      { city: 'Austin', province: 'Texas', provinceCode: 'TX', zip: zip5('787'), area: '512' },
      { city: 'Seattle', province: 'Washington', provinceCode: 'WA', zip: zip5('981'), area: '206' },
      { city: 'Miami', province: 'Florida', provinceCode: 'FL', zip: zip5('331'), area: '305' },
      { city: 'Denver', province: 'Colorado', provinceCode: 'CO', zip: zip5('802'), area: '303' },
      { city: 'Boston', province: 'Massachusetts', provinceCode: 'MA', zip: zip5('021'), area: '617' },
      { city: 'Phoenix', province: 'Arizona', provinceCode: 'AZ', zip: zip5('850'), area: '602' },
      { city: 'Atlanta', province: 'Georgia', provinceCode: 'GA', zip: zip5('303'), area: '404' },
    ],
    phone: nanpPhone,
    street: (rand) => `${int(rand, 1, 9899)} ${pick(rand, EN_STREETS.slice(0, 11))}`,
    unit: (rand) =>
      pick(rand, [
        `Apt ${int(rand, 1, 30)}${letter(rand, 'ABCDEF')}`,
        `Suite ${int(rand, 100, 999)}`,
        `Unit ${int(rand, 1, 40)}`,
      ]),
  },
  {
    code: 'CA',
    country: 'Canada',
    currency: 'CAD',
    fx: 1.37,
    weight: 8,
    locale: 'en',
    cities: [
      { city: 'Toronto', province: 'Ontario', provinceCode: 'ON', zip: caPostal('M5V'), area: '416' },
      { city: 'Ottawa', province: 'Ontario', provinceCode: 'ON', zip: caPostal('K1P'), area: '613' },
      {
        city: 'Vancouver',
        province: 'British Columbia',
        provinceCode: 'BC',
        zip: caPostal('V6B'),
        area: '604',
      },
      { city: 'Montréal', province: 'Quebec', provinceCode: 'QC', zip: caPostal('H2X'), area: '514' },
      { city: 'Calgary', province: 'Alberta', provinceCode: 'AB', zip: caPostal('T2P'), area: '403' },
      { city: 'Halifax', province: 'Nova Scotia', provinceCode: 'NS', zip: caPostal('B3H'), area: '902' },
    ],
    phone: nanpPhone,
    street: (rand) =>
      `${int(rand, 1, 2999)} ${pick(rand, ['Queen Street West', 'Yonge Street', 'Rue Saint-Denis', 'Granville Street', 'Bank Street', 'Spring Garden Road', '17 Avenue SW'])}`,
    unit: (rand) => `Unit ${int(rand, 100, 2400)}`,
  },
  {
    code: 'GB',
    country: 'United Kingdom',
    currency: 'GBP',
    fx: 0.79,
    weight: 10,
    locale: 'en',
    cities: [
      { city: 'London', zip: gbPostal('SW1A') },
      { city: 'London', zip: gbPostal('E1') },
      { city: 'London', zip: gbPostal('N7') },
      { city: 'Manchester', zip: gbPostal('M1') },
      { city: 'Birmingham', zip: gbPostal('B15') },
      { city: 'Edinburgh', zip: gbPostal('EH1') },
      { city: 'Bristol', zip: gbPostal('BS1') },
      { city: 'Leeds', zip: gbPostal('LS1') },
      { city: 'Glasgow', zip: gbPostal('G2') },
    ],
    phone: (rand) => `+447${int(rand, 4, 9)}${digits(rand, 8)}`,
    street: (rand) => `${int(rand, 1, 220)} ${pick(rand, EN_STREETS.slice(10))}`,
    unit: (rand) => `Flat ${int(rand, 1, 24)}`,
  },
  {
    code: 'DE',
    country: 'Germany',
    currency: 'EUR',
    fx: 0.92,
    weight: 10,
    locale: 'de',
    cities: [
      { city: 'Berlin', zip: zip5('10') },
      { city: 'München', zip: zip5('80') },
      { city: 'Hamburg', zip: zip5('20') },
      { city: 'Köln', zip: zip5('50') },
      { city: 'Frankfurt am Main', zip: zip5('60') },
      { city: 'Stuttgart', zip: zip5('70') },
      { city: 'Leipzig', zip: zip5('04') },
    ],
    phone: (rand) => `+49${pick(rand, ['151', '152', '160', '170', '171', '176'])}${digits(rand, 8)}`,
    street: (rand) =>
      `${pick(rand, ['Hauptstraße', 'Schillerstraße', 'Goethestraße', 'Bahnhofstraße', 'Gartenweg', 'Lindenallee', 'Friedrichstraße'])} ${int(rand, 1, 180)}`,
    unit: (rand) => `${int(rand, 1, 5)}. OG`,
  },
  {
    code: 'FR',
    country: 'France',
    currency: 'EUR',
    fx: 0.92,
    weight: 7,
    locale: 'fr',
    cities: [
      { city: 'Paris', zip: (rand) => `750${String(int(rand, 1, 20)).padStart(2, '0')}` },
      { city: 'Lyon', zip: (rand) => `6900${int(rand, 1, 9)}` },
      { city: 'Marseille', zip: (rand) => `130${String(int(rand, 1, 16)).padStart(2, '0')}` },
      { city: 'Toulouse', zip: zip5('310') },
      { city: 'Bordeaux', zip: zip5('330') },
      { city: 'Lille', zip: zip5('590') },
    ],
    phone: (rand) => `+33${pick(rand, ['6', '7'])}${digits(rand, 8)}`,
    street: (rand) =>
      `${int(rand, 1, 140)} ${pick(rand, ['rue de la Paix', 'avenue Victor Hugo', 'boulevard Saint-Germain', 'rue du Faubourg Saint-Antoine', 'rue de la République', 'place Bellecour'])}`,
    unit: (rand) => `Bâtiment ${letter(rand, 'ABCD')}, ${int(rand, 1, 8)}e étage`,
  },
  {
    code: 'ES',
    country: 'Spain',
    currency: 'EUR',
    fx: 0.92,
    weight: 6,
    locale: 'es',
    cities: [
      { city: 'Madrid', province: 'Madrid', provinceCode: 'M', zip: zip5('280') },
      { city: 'Barcelona', province: 'Barcelona', provinceCode: 'B', zip: zip5('080') },
      { city: 'Valencia', province: 'Valencia', provinceCode: 'V', zip: zip5('460') },
      { city: 'Sevilla', province: 'Sevilla', provinceCode: 'SE', zip: zip5('410') },
      { city: 'Bilbao', province: 'Vizcaya', provinceCode: 'BI', zip: zip5('480') },
    ],
    phone: (rand) => `+34${pick(rand, ['6', '7'])}${digits(rand, 8)}`,
    street: (rand) =>
      `${pick(rand, ['Calle Mayor', 'Calle de Alcalá', 'Avenida Diagonal', 'Calle Colón', 'Gran Vía'])}, ${int(rand, 1, 200)}`,
    unit: (rand) => `${int(rand, 1, 9)}º ${letter(rand, 'ABCD')}`,
  },
  {
    code: 'IT',
    country: 'Italy',
    currency: 'EUR',
    fx: 0.92,
    weight: 5,
    locale: 'it',
    cities: [
      { city: 'Roma', province: 'Roma', provinceCode: 'RM', zip: zip5('001') },
      { city: 'Milano', province: 'Milano', provinceCode: 'MI', zip: zip5('201') },
      { city: 'Napoli', province: 'Napoli', provinceCode: 'NA', zip: zip5('801') },
      { city: 'Torino', province: 'Torino', provinceCode: 'TO', zip: zip5('101') },
      { city: 'Firenze', province: 'Firenze', provinceCode: 'FI', zip: zip5('501') },
    ],
    phone: (rand) => `+393${digits(rand, 9)}`,
    street: (rand) =>
      `${pick(rand, ['Via Roma', 'Via Garibaldi', 'Corso Vittorio Emanuele II', 'Via Dante', 'Piazza della Repubblica'])} ${int(rand, 1, 150)}`,
    unit: (rand) => `Scala ${letter(rand, 'ABC')}, interno ${int(rand, 1, 20)}`,
  },
  {
    code: 'NL',
    country: 'Netherlands',
    currency: 'EUR',
    fx: 0.92,
    weight: 4,
    locale: 'nl',
    cities: [
      { city: 'Amsterdam', zip: nlPostal('10') },
      { city: 'Rotterdam', zip: nlPostal('30') },
      { city: 'Utrecht', zip: nlPostal('35') },
      { city: 'Den Haag', zip: nlPostal('25') },
      { city: 'Eindhoven', zip: nlPostal('56') },
    ],
    phone: (rand) => `+316${digits(rand, 8)}`,
    street: (rand) =>
      `${pick(rand, ['Keizersgracht', 'Prinsengracht', 'Coolsingel', 'Oudegracht', 'Lange Voorhout', 'Stratumseind'])} ${int(rand, 1, 400)}`,
    unit: (rand) => `${int(rand, 1, 4)}${pick(rand, ['-hoog', 'A', 'B'])}`,
  },
  {
    code: 'AU',
    country: 'Australia',
    currency: 'AUD',
    fx: 1.52,
    weight: 6,
    locale: 'en',
    cities: [
      { city: 'Sydney', province: 'New South Wales', provinceCode: 'NSW', zip: auPostal(2000), area: '2' },
      { city: 'Melbourne', province: 'Victoria', provinceCode: 'VIC', zip: auPostal(3000), area: '3' },
      { city: 'Brisbane', province: 'Queensland', provinceCode: 'QLD', zip: auPostal(4000), area: '7' },
      { city: 'Perth', province: 'Western Australia', provinceCode: 'WA', zip: auPostal(6000), area: '8' },
      { city: 'Adelaide', province: 'South Australia', provinceCode: 'SA', zip: auPostal(5000), area: '8' },
    ],
    phone: (rand) => `+614${digits(rand, 8)}`,
    street: (rand) =>
      `${int(rand, 1, 400)} ${pick(rand, ['George Street', 'Collins Street', 'Queen Street', 'Hay Street', 'Rundle Mall', 'Pitt Street'])}`,
    unit: (rand) => `Unit ${int(rand, 1, 60)}`,
  },
  {
    code: 'JP',
    country: 'Japan',
    currency: 'JPY',
    fx: 151,
    wholeUnits: true,
    weight: 5,
    locale: 'ja',
    cities: [
      { city: 'Chiyoda-ku', province: 'Tokyo', provinceCode: 'JP-13', zip: jpPostal('10') },
      { city: 'Shibuya-ku', province: 'Tokyo', provinceCode: 'JP-13', zip: jpPostal('15') },
      { city: 'Osaka-shi', province: 'Osaka', provinceCode: 'JP-27', zip: jpPostal('53') },
      { city: 'Kyoto-shi', province: 'Kyoto', provinceCode: 'JP-26', zip: jpPostal('60') },
      { city: 'Yokohama-shi', province: 'Kanagawa', provinceCode: 'JP-14', zip: jpPostal('22') },
      { city: 'Sapporo-shi', province: 'Hokkaido', provinceCode: 'JP-01', zip: jpPostal('06') },
    ],
    phone: (rand) => `+81${pick(rand, ['70', '80', '90'])}${digits(rand, 8)}`,
    street: (rand) =>
      `${int(rand, 1, 5)}-${int(rand, 1, 20)}-${int(rand, 1, 30)} ${pick(rand, ['Marunouchi', 'Jingumae', 'Umeda', 'Gion', 'Minatomirai', 'Odori Nishi'])}`,
    unit: (rand) =>
      `${pick(rand, ['Sakura Heights', 'Maison Aoyama', 'Grand Court'])} ${int(rand, 1, 15)}0${int(rand, 1, 9)}`,
  },
  {
    code: 'BR',
    country: 'Brazil',
    currency: 'BRL',
    fx: 5.05,
    weight: 4,
    locale: 'pt',
    cities: [
      { city: 'São Paulo', province: 'São Paulo', provinceCode: 'SP', zip: brPostal('01'), area: '11' },
      {
        city: 'Rio de Janeiro',
        province: 'Rio de Janeiro',
        provinceCode: 'RJ',
        zip: brPostal('20'),
        area: '21',
      },
      {
        city: 'Belo Horizonte',
        province: 'Minas Gerais',
        provinceCode: 'MG',
        zip: brPostal('30'),
        area: '31',
      },
      { city: 'Curitiba', province: 'Paraná', provinceCode: 'PR', zip: brPostal('80'), area: '41' },
      {
        city: 'Porto Alegre',
        province: 'Rio Grande do Sul',
        provinceCode: 'RS',
        zip: brPostal('90'),
        area: '51',
      },
    ],
    phone: (rand, city) => `+55${city.area ?? '11'}9${digits(rand, 8)}`,
    street: (rand) =>
      `${pick(rand, ['Rua Augusta', 'Avenida Paulista', 'Rua das Laranjeiras', 'Avenida Afonso Pena', 'Rua XV de Novembro'])}, ${int(rand, 10, 2500)}`,
    unit: (rand) => `Apto ${int(rand, 11, 184)}`,
  },
  {
    code: 'MX',
    country: 'Mexico',
    currency: 'MXN',
    fx: 17.1,
    weight: 4,
    locale: 'es',
    cities: [
      {
        city: 'Ciudad de México',
        province: 'Ciudad de México',
        provinceCode: 'CMX',
        zip: zip5('06'),
        area: '55',
      },
      { city: 'Guadalajara', province: 'Jalisco', provinceCode: 'JAL', zip: zip5('44'), area: '33' },
      { city: 'Monterrey', province: 'Nuevo León', provinceCode: 'NL', zip: zip5('64'), area: '81' },
      { city: 'Puebla', province: 'Puebla', provinceCode: 'PUE', zip: zip5('72'), area: '222' },
    ],
    phone: (rand, city) => `+52${city.area ?? '55'}${digits(rand, 10 - (city.area ?? '55').length)}`,
    street: (rand) =>
      `${pick(rand, ['Av. Paseo de la Reforma', 'Calle Madero', 'Av. Chapultepec', 'Av. Constitución', 'Calle 5 de Mayo'])} ${int(rand, 1, 999)}`,
    unit: (rand) => `Int. ${int(rand, 1, 30)}`,
  },
  {
    code: 'SE',
    country: 'Sweden',
    currency: 'SEK',
    fx: 10.6,
    weight: 3,
    locale: 'sv',
    cities: [
      { city: 'Stockholm', zip: sePostal('11') },
      { city: 'Göteborg', zip: sePostal('41') },
      { city: 'Malmö', zip: sePostal('21') },
      { city: 'Uppsala', zip: sePostal('75') },
    ],
    phone: (rand) => `+467${pick(rand, ['0', '2', '3', '6'])}${digits(rand, 7)}`,
    street: (rand) =>
      `${pick(rand, ['Drottninggatan', 'Kungsgatan', 'Storgatan', 'Vasagatan', 'Södra Förstadsgatan'])} ${int(rand, 1, 120)}`,
    unit: (rand) => `lgh ${int(rand, 10, 14)}0${int(rand, 1, 9)}`,
  },
  {
    code: 'PL',
    country: 'Poland',
    currency: 'PLN',
    fx: 3.98,
    weight: 3,
    locale: 'pl',
    cities: [
      { city: 'Warszawa', zip: (rand) => plPostal(`0${int(rand, 0, 4)}`)(rand) },
      { city: 'Kraków', zip: (rand) => plPostal(`3${int(rand, 0, 1)}`)(rand) },
      { city: 'Wrocław', zip: (rand) => plPostal(`5${int(rand, 0, 4)}`)(rand) },
      { city: 'Gdańsk', zip: (rand) => plPostal(`80`)(rand) },
    ],
    phone: (rand) => `+48${pick(rand, ['5', '6', '7', '8'])}${digits(rand, 8)}`,
    street: (rand) =>
      `ul. ${pick(rand, ['Marszałkowska', 'Floriańska', 'Świdnicka', 'Długa', 'Piotrkowska'])} ${int(rand, 1, 140)}`,
    unit: (rand) => `m. ${int(rand, 1, 80)}`,
  },
];

const NAMES: Record<Locale, { first: string[]; last: string[] }> = {
  en: {
    first: [
      'Emma',
      'Olivia',
      'Liam',
      'Noah',
      'Ava',
      'Sophia',
      'James',
      'Amelia',
      'Lucas',
      'Mia',
      'Ethan',
      'Harper',
      'Oliver',
      'Chloe',
      'Jack',
      'Priya',
      'Wei',
      'Aisha',
    ],
    last: [
      'Smith',
      'Johnson',
      'Williams',
      'Brown',
      'Taylor',
      'Wilson',
      'Martin',
      'Thompson',
      'Walker',
      'Patel',
      'Nguyen',
      'Campbell',
      "O'Connor",
      'Robinson',
      'Clarke',
    ],
  },
  de: {
    first: ['Lukas', 'Anna', 'Jonas', 'Lea', 'Felix', 'Marie', 'Leon', 'Sophie', 'Jürgen', 'Katharina'],
    last: [
      'Müller',
      'Schmidt',
      'Schneider',
      'Fischer',
      'Weber',
      'Meyer',
      'Wagner',
      'Becker',
      'Schäfer',
      'Hoffmann',
    ],
  },
  fr: {
    first: ['Camille', 'Louis', 'Léa', 'Hugo', 'Chloé', 'Gabriel', 'Manon', 'Théo', 'Inès', 'Jules'],
    last: [
      'Martin',
      'Bernard',
      'Dubois',
      'Thomas',
      'Robert',
      'Richard',
      'Petit',
      'Durand',
      'Lefèvre',
      'Moreau',
    ],
  },
  es: {
    first: ['Lucía', 'Hugo', 'Sofía', 'Mateo', 'Martina', 'Alejandro', 'Valentina', 'Diego', 'José', 'María'],
    last: [
      'García',
      'Fernández',
      'González',
      'Rodríguez',
      'López',
      'Martínez',
      'Sánchez',
      'Pérez',
      'Hernández',
      'Ramírez',
    ],
  },
  it: {
    first: [
      'Giulia',
      'Leonardo',
      'Sofia',
      'Francesco',
      'Aurora',
      'Alessandro',
      'Chiara',
      'Lorenzo',
      'Niccolò',
    ],
    last: [
      'Rossi',
      'Russo',
      'Ferrari',
      'Esposito',
      'Bianchi',
      'Romano',
      'Colombo',
      'Ricci',
      'Marino',
      'Greco',
    ],
  },
  nl: {
    first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lucas', 'Tess', 'Milan', 'Fleur', 'Bram', 'Sanne'],
    last: [
      'de Jong',
      'Jansen',
      'de Vries',
      'van den Berg',
      'van Dijk',
      'Bakker',
      'Visser',
      'Smit',
      'Meijer',
      'de Boer',
    ],
  },
  ja: {
    first: ['Haruto', 'Yui', 'Sota', 'Hina', 'Ren', 'Aoi', 'Yuto', 'Sakura', 'Riku', 'Mei'],
    last: [
      'Sato',
      'Suzuki',
      'Takahashi',
      'Tanaka',
      'Watanabe',
      'Ito',
      'Yamamoto',
      'Nakamura',
      'Kobayashi',
      'Kato',
    ],
  },
  pt: {
    first: [
      'Miguel',
      'Helena',
      'Arthur',
      'Alice',
      'Heitor',
      'Laura',
      'Bernardo',
      'Valentina',
      'João',
      'Beatriz',
    ],
    last: [
      'Silva',
      'Santos',
      'Oliveira',
      'Souza',
      'Rodrigues',
      'Ferreira',
      'Alves',
      'Pereira',
      'Lima',
      'Gonçalves',
    ],
  },
  sv: {
    first: ['Alice', 'William', 'Maja', 'Hugo', 'Elsa', 'Oscar', 'Astrid', 'Lucas', 'Linnéa', 'Björn'],
    last: [
      'Andersson',
      'Johansson',
      'Karlsson',
      'Nilsson',
      'Eriksson',
      'Larsson',
      'Olsson',
      'Persson',
      'Svensson',
      'Gustafsson',
    ],
  },
  pl: {
    first: ['Zuzanna', 'Jakub', 'Julia', 'Antoni', 'Zofia', 'Jan', 'Hanna', 'Łukasz', 'Maja', 'Szymon'],
    last: [
      'Nowak',
      'Kowalski',
      'Wiśniewski',
      'Wójcik',
      'Kowalczyk',
      'Kamiński',
      'Lewandowski',
      'Zieliński',
      'Szymański',
      'Woźniak',
    ],
  },
};

const COMPANIES = [
  'Northwind Traders',
  'Acme GmbH',
  'Blue Harbor Studio',
  'Atelier Lumière',
  'Kiwi Labs',
  'Tanaka Shoten',
  'Verde Design',
  'Nordic Loft AB',
];

interface Product {
  sku: string;
  title: string;
  variants?: string[];
  vendor: string;
  /** Price in US cents. */
  usdCents: number;
  grams: number;
  hs: string;
  /** Origins with weights; CN dominates. */
  origins: [string, number][];
}

const CN: [string, number][] = [['CN', 1]];
const PRODUCTS: Product[] = [
  {
    sku: 'TS-ORG-001',
    title: 'Organic Cotton Crew T-Shirt',
    variants: ['S / White', 'M / Black', 'L / Navy', 'XL / Heather Grey'],
    vendor: 'Lumen Apparel',
    usdCents: 1999,
    grams: 180,
    hs: '610910',
    origins: [
      ['CN', 6],
      ['BD', 2],
      ['VN', 2],
    ],
  },
  {
    sku: 'HD-FLC-220',
    title: 'Fleece Pullover Hoodie',
    variants: ['M / Forest', 'L / Charcoal'],
    vendor: 'Lumen Apparel',
    usdCents: 4900,
    grams: 520,
    hs: '611030',
    origins: [
      ['CN', 8],
      ['PK', 2],
    ],
  },
  {
    sku: 'SW-MRN-310',
    title: 'Merino Wool Sweater',
    variants: ['S / Oat', 'M / Oat', 'L / Slate'],
    vendor: 'Fjord & Field',
    usdCents: 8900,
    grams: 400,
    hs: '611011',
    origins: [
      ['CN', 7],
      ['IT', 3],
    ],
  },
  {
    sku: 'JN-SLM-032',
    title: 'Slim Fit Denim Jeans',
    variants: ['30/32', '32/32', '34/34'],
    vendor: 'Lumen Apparel',
    usdCents: 5900,
    grams: 650,
    hs: '620342',
    origins: [
      ['CN', 5],
      ['TR', 3],
      ['BD', 2],
    ],
  },
  {
    sku: 'DR-WRP-114',
    title: 'Jersey Wrap Dress',
    variants: ['XS', 'S', 'M'],
    vendor: 'Maison Vela',
    usdCents: 6400,
    grams: 300,
    hs: '610443',
    origins: CN,
  },
  {
    sku: 'SC-SLK-090',
    title: 'Printed Silk Scarf',
    vendor: 'Maison Vela',
    usdCents: 3900,
    grams: 60,
    hs: '621410',
    origins: [
      ['CN', 8],
      ['IT', 2],
    ],
  },
  {
    sku: 'SN-RUN-420',
    title: 'Lightweight Running Sneakers',
    variants: ['EU 38', 'EU 40', 'EU 42', 'EU 44'],
    vendor: 'Stride Co.',
    usdCents: 8900,
    grams: 780,
    hs: '640411',
    origins: [
      ['CN', 5],
      ['VN', 5],
    ],
  },
  {
    sku: 'BG-LTH-205',
    title: 'Leather Crossbody Bag',
    variants: ['Cognac', 'Black'],
    vendor: 'Atelier Cuir',
    usdCents: 12900,
    grams: 650,
    hs: '420221',
    origins: [
      ['CN', 7],
      ['IN', 3],
    ],
  },
  {
    sku: 'BP-CMT-025',
    title: 'Commuter Backpack 25L',
    vendor: 'Stride Co.',
    usdCents: 7900,
    grams: 900,
    hs: '420292',
    origins: CN,
  },
  {
    sku: 'EB-ANC-300',
    title: 'Wireless Noise-Cancelling Earbuds',
    vendor: 'Voltic',
    usdCents: 7999,
    grams: 120,
    hs: '851830',
    origins: CN,
  },
  {
    sku: 'CH-GAN-065',
    title: '65W USB-C GaN Charger',
    vendor: 'Voltic',
    usdCents: 3499,
    grams: 110,
    hs: '850440',
    origins: CN,
  },
  {
    sku: 'PB-10K-020',
    title: '10000mAh Power Bank',
    vendor: 'Voltic',
    usdCents: 2999,
    grams: 210,
    hs: '850760',
    origins: CN,
  },
  {
    sku: 'CB-USC-002',
    title: 'Braided USB-C Cable 2m',
    vendor: 'Voltic',
    usdCents: 1299,
    grams: 60,
    hs: '854442',
    origins: CN,
  },
  {
    sku: 'PC-SIL-015',
    title: 'Silicone Phone Case',
    variants: ['Sage', 'Sand', 'Midnight'],
    vendor: 'Voltic',
    usdCents: 1599,
    grams: 40,
    hs: '392690',
    origins: CN,
  },
  {
    sku: 'SW-FIT-002',
    title: 'Fitness Smartwatch',
    vendor: 'Voltic',
    usdCents: 14900,
    grams: 95,
    hs: '851762',
    origins: CN,
  },
  {
    sku: 'KB-MEC-087',
    title: 'Mechanical Keyboard TKL',
    vendor: 'Keyforge',
    usdCents: 10900,
    grams: 980,
    hs: '847160',
    origins: [
      ['CN', 9],
      ['TW', 1],
    ],
  },
  {
    sku: 'LM-LED-012',
    title: 'LED Desk Lamp',
    vendor: 'Halo Home',
    usdCents: 4500,
    grams: 1100,
    hs: '940521',
    origins: CN,
  },
  {
    sku: 'MG-CER-035',
    title: 'Stoneware Coffee Mug',
    variants: ['Speckled', 'Matte Black'],
    vendor: 'Halo Home',
    usdCents: 1800,
    grams: 380,
    hs: '691200',
    origins: [
      ['CN', 7],
      ['PT', 3],
    ],
  },
  {
    sku: 'BT-SST-075',
    title: 'Insulated Steel Bottle 750ml',
    vendor: 'Halo Home',
    usdCents: 2900,
    grams: 400,
    hs: '732393',
    origins: CN,
  },
  {
    sku: 'TE-GRN-100',
    title: 'Longjing Green Tea 100g',
    vendor: 'Jade Leaf',
    usdCents: 2400,
    grams: 130,
    hs: '090210',
    origins: CN,
  },
  {
    sku: 'LP-MAT-004',
    title: 'Matte Lipstick',
    variants: ['Rosewood', 'Crimson'],
    vendor: 'Bloom Beauty',
    usdCents: 1900,
    grams: 30,
    hs: '330410',
    origins: [
      ['CN', 6],
      ['KR', 2],
      ['FR', 2],
    ],
  },
  {
    sku: 'YM-TPE-006',
    title: 'TPE Yoga Mat 6mm',
    vendor: 'Stride Co.',
    usdCents: 3900,
    grams: 950,
    hs: '950691',
    origins: CN,
  },
  {
    sku: 'SG-POL-001',
    title: 'Polarized Sunglasses',
    vendor: 'Lumen Apparel',
    usdCents: 5900,
    grams: 45,
    hs: '900410',
    origins: CN,
  },
  {
    sku: 'TY-BLK-500',
    title: 'Building Blocks Set (500 pcs)',
    vendor: 'Tiny Makers',
    usdCents: 3499,
    grams: 800,
    hs: '950300',
    origins: CN,
  },
  {
    sku: 'NB-DOT-A5',
    title: 'Dotted Notebook A5',
    vendor: 'Paperly',
    usdCents: 1400,
    grams: 280,
    hs: '482020',
    origins: [
      ['CN', 6],
      ['JP', 2],
      ['DE', 2],
    ],
  },
];

const weightedPick = <T>(rand: Rand, list: readonly T[], weight: (t: T) => number): T => {
  const total = list.reduce((s, t) => s + weight(t), 0);
  let r = rand() * total;
  for (const t of list) {
    r -= weight(t);
    if (r < 0) return t;
  }
  return list[list.length - 1] as T;
};

const ascii = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ß/g, 'ss')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

function formatPrice(usdCents: number, market: Market): string {
  const local = (usdCents / 100) * market.fx;
  if (market.wholeUnits) return String(Math.max(1, Math.round(local / 10) * 10));
  // Retail-style endings: .99 most of the time, .00 or .50 otherwise.
  const whole = Math.max(0, Math.floor(local));
  return `${whole}.${local - whole > 0.5 ? '99' : whole % 3 === 0 ? '00' : '50'}`;
}

const toCents = (price: string): number => {
  const [w = '0', f = ''] = price.split('.');
  return Number(w) * 100 + Number(f.padEnd(2, '0').slice(0, 2));
};
const fromCents = (cents: number, market: Market): string =>
  market.wholeUnits
    ? String(Math.round(cents / 100))
    : `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

/** The shop's wall clock renders timestamps in its own time zone, like Shopify. */
export function shopTimestamp(ms: number): string {
  const offsetMin = -5 * 60;
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  return `${local}-05:00`;
}

export interface OrderSeed {
  id: number;
  runId: string;
  /** Position in the run, from 0. */
  index: number;
  createdAtMs: number;
}

export function generateOrder(seed: OrderSeed): ShopOrder {
  const rand = prng(hashSeed(seed.runId) ^ Math.imul(seed.index + 1, 0x9e3779b1));
  const market = weightedPick(rand, MARKETS, (m) => m.weight);
  const city = pick(rand, market.cities);
  const names = NAMES[market.locale];
  const first = pick(rand, names.first);
  const last = pick(rand, names.last);
  // The sandbox shop's checkout requires a phone, as cross-border sellers configure it: carriers
  // need one for customs and delivery, and carrier-beta refuses a receiver without a mobile.
  const phone: string | null = market.phone(rand, city);
  const company = rand() < 0.12 ? pick(rand, COMPANIES) : null;
  const address2 = rand() < 0.35 ? market.unit(rand) : null;
  const email = `${ascii(first)}.${ascii(last)}${int(rand, 1, 999)}@${pick(rand, ['example.com', 'example.net', 'example.org'])}`;

  const lineCount = weightedPick(rand, [1, 2, 3, 4], (n) => [55, 28, 12, 5][n - 1] ?? 1);
  const chosen = new Set<Product>();
  while (chosen.size < lineCount) chosen.add(pick(rand, PRODUCTS));
  const lineItems: ShopLineItem[] = [...chosen].map((p, i) => {
    const variant = p.variants ? pick(rand, p.variants) : null;
    const variantIdx = p.variants && variant ? p.variants.indexOf(variant) : 0;
    const productId = 7_800_000_000_000 + PRODUCTS.indexOf(p) * 1000;
    return {
      // Order ids stay below 9e14, so line item ids stay exact doubles.
      id: seed.id * 10 + i + 1,
      variant_id: productId + 44_000_000_000_000 + variantIdx,
      product_id: productId,
      sku: variant ? `${p.sku}-${variantIdx + 1}` : p.sku,
      title: p.title,
      variant_title: variant,
      vendor: p.vendor,
      quantity: weightedPick(rand, [1, 2, 3, 5], (q) => (q === 1 ? 70 : q === 2 ? 20 : q === 3 ? 7 : 3)),
      price: formatPrice(p.usdCents, market),
      grams: Math.max(1, Math.round(p.grams * (0.95 + rand() * 0.1))),
      requires_shipping: true,
      taxable: true,
      harmonized_system_code: p.hs,
      country_code_of_origin: weightedPick(rand, p.origins, ([, w]) => w)[0],
      fulfillment_status: null,
    };
  });
  const subtotal = lineItems.reduce((s, li) => s + toCents(li.price) * li.quantity, 0);
  const shipping = subtotal > 10_000 * market.fx ? 0 : toCents(formatPrice(799, market));
  const totalWeight = lineItems.reduce((s, li) => s + li.grams * li.quantity, 0);
  const createdAt = shopTimestamp(seed.createdAtMs);
  const orderNumber = 1001 + seed.index;
  return {
    id: seed.id,
    admin_graphql_api_id: `gid://shop/Order/${seed.id}`,
    name: `#R${seed.runId}-${orderNumber}`,
    order_number: orderNumber,
    email,
    phone,
    created_at: createdAt,
    updated_at: createdAt,
    currency: market.currency,
    presentment_currency: market.currency,
    subtotal_price: fromCents(subtotal, market),
    total_shipping_price: fromCents(shipping, market),
    total_tax: fromCents(0, market),
    total_price: fromCents(subtotal + shipping, market),
    total_weight: totalWeight,
    financial_status: 'paid',
    fulfillment_status: null,
    tags: `waygate-run:${seed.runId}`,
    note:
      rand() < 0.1
        ? pick(rand, [
            'Please leave at the front door.',
            'Gift — no invoice in the box, please.',
            'Ring twice.',
          ])
        : null,
    line_items: lineItems,
    shipping_address: {
      first_name: first,
      last_name: last,
      name: `${first} ${last}`,
      phone,
      company,
      address1: market.street(rand),
      address2,
      city: city.city,
      province: city.province ?? null,
      province_code: city.provinceCode ?? null,
      zip: city.zip(rand),
      country: market.country,
      country_code: market.code,
    },
  };
}

/** Markets the generator ships to (for documentation and tests). */
export const SHOP_MARKETS: readonly { code: string; currency: string }[] = MARKETS.map((m) => ({
  code: m.code,
  currency: m.currency,
}));

/** One SKU the sandbox sellers list (every variant its own SKU), with its customs master data. */
export interface ShopProduct {
  sku: string;
  title: string;
  hs: string;
  /** The origin most of its units come from. */
  origin: string;
  grams: number;
  usdCents: number;
}

/** Every SKU an order from the generator may carry: what a seller's product catalogue holds. */
export function shopProducts(): ShopProduct[] {
  return PRODUCTS.flatMap((p) => {
    const origin = [...p.origins].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'CN';
    const skus = p.variants ? p.variants.map((_, i) => `${p.sku}-${i + 1}`) : [p.sku];
    return skus.map((sku) => ({
      sku,
      title: p.title,
      hs: p.hs,
      origin,
      grams: p.grams,
      usdCents: p.usdCents,
    }));
  });
}
