export * from './codes.js';
export * from './money.js';
export * from './errors.js';
export * from './error-catalogue.js';
export * from './tracking.js';
export * from './order-status.js';
export * from './schemas.js';
export * from './masking.js';
