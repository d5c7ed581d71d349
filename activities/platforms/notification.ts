import { createHash } from 'node:crypto';
import type { ActionInputs } from '../../shared';
import type { NotificationLog } from '../../store/notifications';
import type { AdapterFactory, PlatformAdapter } from './adapter';
import { PlatformError, platformErrorFromStatus } from '../errors';
import { assertOutboundUrl } from './http/rest-client';

type Notice = ActionInputs['notify'];
type Channel = 'slack' | 'teams';

/**
 * Run notifications to a Slack incoming webhook or a Microsoft Teams webhook
 * (Workflows / incoming webhook, adaptive card): settings.kind = `slack` | `teams`,
 * credentials.webhookUrl = `env:VAR`. The webhook URL is itself the credential, so it
 * never appears in an error, a log line or the delivery log. A notice already
 * delivered to the same channel is not posted again (`already-done`).
 */
export function createNotificationAdapterFactory(
  log: NotificationLog,
  options: { consoleUrl?: string } = {},
): AdapterFactory {
  return (connection, readSecret, tenantId) => {
    const kind = connection.settings?.kind;
    const urlRef = connection.credentials?.webhookUrl;
    if (kind !== 'slack' && kind !== 'teams')
      throw new PlatformError('invalid', 'notification settings.kind must be slack or teams');
    if (!urlRef) throw new PlatformError('invalid', 'notification connection needs credentials.webhookUrl');
    const adapter: PlatformAdapter = {
      platform: 'notification',
      async notify(notice) {
        const url = readSecret(urlRef);
        const key = createHash('sha256')
          .update(JSON.stringify([url, notice.runId, notice.status, notice.summary, notice.needsHuman]))
          .digest('hex');
        if (await log.wasSent(key)) return { outcome: 'already-done' };
        const link = deepLink(options.consoleUrl, tenantId, notice);
        await postWebhook(kind, url, kind === 'slack' ? slackMessage(notice, link) : teamsMessage(notice, link));
        await log.recordSent(key, notice.runId, kind);
        return { outcome: 'done' };
      },
    };
    return adapter;
  };
}

/** Posts the message; failures name the channel kind and status only, never the URL. */
async function postWebhook(kind: Channel, url: string, message: unknown): Promise<void> {
  assertOutboundUrl(kind, url);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
      redirect: 'error',
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new PlatformError('network', `${kind} webhook unreachable`);
  }
  await res.body?.cancel();
  // Slack answers 410 for an archived channel and 404 for a removed webhook: a human must fix the connection.
  if (!res.ok)
    throw platformErrorFromStatus(
      res.status,
      `${kind} webhook failed with ${res.status}`,
      res.headers.get('retry-after'),
    );
}

/**
 * The console screen where the person acts on this notice: a reviewer's share opens My reviews, a
 * request waiting for approval opens Approvals, anything else the tenant's runs.
 */
export function deepLink(consoleUrl: string | undefined, tenantId: string | undefined, n: Notice): string | undefined {
  if (!consoleUrl || !tenantId) return undefined;
  const tenant = `?tenant=${encodeURIComponent(tenantId)}`;
  if (/\/access-review\/[^/]+\/reviewer\//.test(n.runId)) return `${consoleUrl}#/reviews${tenant}`;
  if (n.status === 'waiting-for-approval') return `${consoleUrl}#/approvals${tenant}`;
  return `${consoleUrl}#/runs${tenant}`;
}

/** Chat messages have size limits (Slack: 3000 characters a section): long to-do lists are cut, saying how much. */
const MAX_ITEMS = 20;
const MAX_ITEM_CHARS = 120;

function todoLines(n: Notice): string[] {
  if (n.needsHuman.length === 0) return ['Nothing: every step finished.'];
  const shown = n.needsHuman
    .slice(0, MAX_ITEMS)
    .map((item) => (item.length > MAX_ITEM_CHARS ? `${item.slice(0, MAX_ITEM_CHARS - 1)}…` : item));
  const more = n.needsHuman.length - shown.length;
  return more > 0 ? [...shown, `…and ${more} more (see the run's progress)`] : shown;
}

function headline(n: Notice): string {
  return `Identity runbook ${n.runId}: ${n.status}`;
}

/** Slack Block Kit; mrkdwn control characters in data are escaped so names cannot inject links or mentions. */
function slackMessage(n: Notice, link?: string) {
  const todo = todoLines(n)
    .map((line) => `• ${slackEscape(line)}`)
    .join('\n');
  return {
    text: slackEscape(headline(n)),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: headline(n).slice(0, 150) } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Run*\n${slackEscape(n.runId)}` },
          { type: 'mrkdwn', text: `*Status*\n${slackEscape(n.status)}` },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: slackEscape(n.summary).slice(0, 3000) } },
      { type: 'section', text: { type: 'mrkdwn', text: `*Needs a human*\n${todo}`.slice(0, 3000) } },
      ...(link
        ? [
            {
              type: 'actions',
              elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the console' }, url: link }],
            },
          ]
        : []),
    ],
  };
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Teams message carrying an Adaptive Card, the format Teams Workflows webhooks and incoming webhooks accept. */
function teamsMessage(n: Notice, link?: string) {
  const todo = todoLines(n).map((line) => ({ type: 'TextBlock', text: `- ${line}`, wrap: true }));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: headline(n), weight: 'Bolder', size: 'Medium', wrap: true },
            {
              type: 'FactSet',
              facts: [
                { title: 'Run', value: n.runId },
                { title: 'Status', value: n.status },
              ],
            },
            { type: 'TextBlock', text: n.summary, wrap: true },
            { type: 'TextBlock', text: 'Needs a human', weight: 'Bolder', wrap: true },
            ...todo,
          ],
          ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in the console', url: link }] } : {}),
        },
      },
    ],
  };
}
