import { customsManifest } from '../../contract.js';
import { defineSettings, Secret } from '../../settings.js';
import { Type } from '@sinclair/typebox';

export const settings = defineSettings({
  credentials: {
    clientKey: Secret(
      'Key of the transfer client’s HTTP interface, sent as X-Ceb-Client-Key (unused with transferFolder)',
    ),
  },
  options: {
    transferFolder: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Root of the transfer client’s folders (outbox/, inbox/); when set, messages go through the folders instead of HTTP',
      }),
    ),
  },
});

export const manifest = customsManifest({
  id: 'china-ceb',
  name: 'China Customs cross-border e-commerce (CEB 2022-05, transfer client)',
  kind: 'customs',
  dialect: 'ceb-xml',
  auth: 'XML-DSig RSA-SHA1 or SM2/SM3 on each message; client key on the HTTP transfer interface',
  defaultTier: 'A',
  version: '2022-05',
  capabilities: ['messages.exchange'],
  settings,
});
