export * from './currency.js';
export * from './rate-card.js';
export * from './rate-card-file.js';
export * from './charge.js';
export * from './reconcile.js';
export * from './bill.js';
