/**
 * The web console [001-6.5]: the React build in `dist/console` (made by `npm run build` from
 * `web/`), served at `/`. Everything it shows comes from the `/v1` API with the user's session,
 * through the same permission checks as any other caller; this module only hands out files.
 *
 * The console's pages get a strict Content-Security-Policy (scripts, styles and connections to
 * this origin only, no inline script, no framing): data shown by the console can never run as
 * code even if a partner smuggles markup into it. The session is a Bearer token the console
 * sends itself; no cookie is ever set, so a page on another site cannot make the browser act
 * for the user (no ambient credential, hence no CSRF).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

/** dist/console beside the compiled gateway (dist/gateway) or, from sources, under the repository. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

export const CONSOLE_CSP = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
};

export interface ConsoleOptions {
  /** The built console; default dist/console. */
  dir?: string;
}

export const consoleRoutes =
  (opts: ConsoleOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const dir = opts.dir ?? CONSOLE_DIR;
    // @fastify/helmet reads a route's own settings from its config: every console file gets the CSP.
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config as object), helmet: CONSOLE_CSP } as typeof route.config;
    });
    if (!existsSync(`${dir}/index.html`)) {
      app.get('/', { schema: { hide: true } }, async (_req, reply) =>
        reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The web console is not built: run `npm run build` (it builds web/ into dist/console).\n'),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      // One route per file, listed at start: nothing outside the build can be asked for.
      wildcard: false,
      decorateReply: false,
      // Its own Cache-Control (max-age=0) would replace ours below.
      cacheControl: false,
      index: ['index.html'],
      setHeaders(res, path) {
        // File names under assets/ carry their content hash: cache them for good; the page itself never.
        res.setHeader(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  };
