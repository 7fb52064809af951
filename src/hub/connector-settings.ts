/**
 * The partners of a config checked against the connectors they name: the connector must be
 * registered for the partner's kind, and the partner's `credentials` and `options` must match
 * the settings schema of the connector's manifest. Run by parseHubConfig, so the same check
 * guards the start, every hot reload and `waygate config check`; each problem is reported as
 * `file:line: field message` like every other config error (values are never echoed).
 */
import { pointerSegments, problemAt, type YamlSource } from '../domain/yaml-source.js';
import { connectorFor, CONNECTORS } from '../connectors/catalogue.js';
import { settingsIssues } from '../connectors/settings.js';
import type { PartnerKind } from '../connectors/types.js';

interface PartnerLike {
  kind: PartnerKind;
  connector?: string;
  credentials: Record<string, string>;
  options?: Record<string, unknown>;
}

/** Every problem found, as `file:line: field message`; empty when the partners are sound. */
export function connectorSettingsProblems(
  config: { partners: Record<string, PartnerLike> },
  source: YamlSource,
): string[] {
  const problems: string[] = [];
  const at = (path: readonly string[], message: string) => problems.push(problemAt(source, path, message));
  for (const [id, p] of Object.entries(config.partners)) {
    const connectorId = p.connector ?? id;
    const def = connectorFor(p.kind, connectorId);
    if (!def) {
      const known = CONNECTORS.filter((d) => d.kind === p.kind).map((d) => d.manifest.id);
      at(
        ['partners', id, ...(p.connector ? ['connector'] : [])],
        `names no registered ${p.kind} connector ${connectorId} (registered: ${known.join(', ') || 'none'})`,
      );
      continue;
    }
    for (const issue of settingsIssues(def.manifest.settings, p)) {
      const message =
        issue.message === 'is required' ? `is required by connector ${def.manifest.id}` : issue.message;
      at(['partners', id, ...pointerSegments(issue.pointer)], message);
    }
  }
  return problems;
}
