/**
 * CONTRACT FAKES of chat webhooks, not the services:
 * - Slack incoming webhooks (api.slack.com/messaging/webhooks): POST JSON to
 *   /services/T…/B…/<secret>; 200 "ok"; 400 no_text when neither text nor blocks,
 *   invalid_blocks for a header over 150 or a section over 3000 characters, or an
 *   actions block whose buttons lack plain_text text (at most 75) or a URL (at most 3000); 403
 *   invalid_token for a wrong secret; 404 no_service for a removed webhook; 410
 *   channel_is_archived; 429 with Retry-After.
 * - Microsoft Teams Workflows webhooks (Power Automate "When a Teams webhook request is
 *   received"): POST to /workflows/<id>/triggers/manual/paths/invoke?…&sig=<secret>;
 *   202 Accepted; 401 for a wrong signature; 400 unless the body is a message whose
 *   attachments are Adaptive Cards.
 * The shared plumbing writes bodies as JSON, so Slack's plain-text answers arrive quoted; clients ignore them.
 */
import { HttpFake, reply } from './http-fake';

export class SlackWebhookFake {
  readonly http = new HttpFake({ authorized: () => true });
  readonly messages: {
    text?: string;
    blocks?: {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
      elements?: { type: string; text?: { type: string; text: string }; url?: string }[];
    }[];
  }[] = [];
  /** Set to simulate a webhook that was removed (404) or whose channel was archived (410). */
  gone?: 404 | 410;

  constructor(private readonly secret: string) {
    this.http.on('POST', '/services/:team/:bot/:secret', ({ params, body }) => {
      if (params.secret !== this.secret) return reply(403, 'invalid_token');
      if (this.gone) return reply(this.gone, this.gone === 404 ? 'no_service' : 'channel_is_archived');
      const message = body as SlackWebhookFake['messages'][number];
      if (!message?.text && !message?.blocks) return reply(400, 'no_text');
      const header = message.blocks?.find((b) => b.type === 'header');
      if (header && (header.text?.text.length ?? 0) > 150) return reply(400, 'invalid_blocks');
      if (message.blocks?.some((b) => b.type === 'section' && (b.text?.text.length ?? 0) > 3000))
        return reply(400, 'invalid_blocks');
      const badButton = (e: { type: string; text?: { type: string; text: string }; url?: string }) =>
        e.type !== 'button' ||
        e.text?.type !== 'plain_text' ||
        e.text.text.length > 75 ||
        !e.url ||
        e.url.length > 3000;
      if (message.blocks?.some((b) => b.type === 'actions' && (!b.elements?.length || b.elements.some(badButton))))
        return reply(400, 'invalid_blocks');
      this.messages.push(message);
      return reply(200, 'ok');
    });
  }

  get webhookUrl(): string {
    return `${this.http.baseUrl}/services/T0001/B0001/${this.secret}`;
  }
}

export class TeamsWebhookFake {
  readonly http = new HttpFake({ authorized: () => true });
  readonly cards: { body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] }[] = [];

  constructor(private readonly signature: string) {
    this.http.on('POST', '/workflows/:id/triggers/manual/paths/invoke', ({ url, body }) => {
      if (url.searchParams.get('sig') !== this.signature)
        return reply(401, { error: { code: 'DirectApiAuthorizationRequired', message: 'signature invalid' } });
      const message = body as {
        type?: string;
        attachments?: { contentType: string; content: TeamsWebhookFake['cards'][number] }[];
      };
      const cards =
        message?.attachments?.filter((a) => a.contentType === 'application/vnd.microsoft.card.adaptive') ?? [];
      if (message?.type !== 'message' || cards.length === 0)
        return reply(400, { error: { code: 'InvalidRequestContent', message: 'expected adaptive card attachments' } });
      this.cards.push(...cards.map((c) => c.content));
      return reply(202);
    });
  }

  get webhookUrl(): string {
    return `${this.http.baseUrl}/workflows/8f1c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.signature}`;
  }
}
