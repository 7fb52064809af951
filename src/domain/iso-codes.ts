/**
 * The reference code lists the canonical schema accepts, kept as data with their source.
 *
 * Before, they came from the ICU data inside Node.js (Intl), which also knows retired and
 * reserved codes — `UK`, `EU`, `SU`, `YU`, `HRK` … — so orders for countries and currencies that
 * do not exist were accepted and passed on to carriers and customs. These are the official lists.
 * A change of either list is a one-line edit here, with the amendment named in the commit.
 */

/**
 * ISO 3166-1 alpha-2, the 249 officially assigned codes. Source: ISO 3166 Maintenance Agency,
 * Online Browsing Platform (https://www.iso.org/obp/ui/#search/code/), status "officially
 * assigned", as of newsletter ISO 3166-1 of 2024 (no alpha-2 change since 2011: SS, BQ, CW, SX).
 * Exceptionally reserved (UK, EU, AC, CP, DG, EA, EZ, FX, IC, SU, TA, UN), transitionally
 * reserved (AN, BU, CS, NT, SF, TP, YU, ZR …) and user-assigned codes (AA, QM–QZ, XA–XZ — so
 * also XK, used by some carriers for Kosovo) are not country codes and are refused.
 */
export const ISO_3166_ALPHA2 = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
`
  .trim()
  .split(/\s+/);

/**
 * ISO 4217 List One (current currency & funds), the currencies in it. Source: SIX Financial
 * Information, maintenance agency of ISO 4217, https://www.six-group.com/en/products-services/
 * financial-information/data-standards.html, list one as amended up to 2026: ANG replaced by XCG
 * (2025), ZWL by ZWG (2024), SLL by SLE, HRK (2023) and BGN (2026) by EUR. Funds codes (BOV, CHE,
 * CHW, CLF, COU, MXV, USN, UYI, UYW) and the codes that are no currency to price goods in
 * (precious metals XAU, XAG, XPD, XPT; bond units XBA–XBD; XDR, XSU, XUA; XTS for tests; XXX
 * for none) are in the list but are not an order's currency, so they are left out here.
 */
export const ISO_4217_CURRENCIES = `
AED AFN ALL AMD AOA ARS AUD AWG AZN
BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK
DJF DKK DOP DZD
EGP ERN ETB EUR
FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK
JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD
OMR
PAB PEN PGK PHP PKR PLN PYG
QAR
RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS
VED VES VND VUV
WST
XAF XCD XCG XOF XPF
YER
ZAR ZMW ZWG
`
  .trim()
  .split(/\s+/);
