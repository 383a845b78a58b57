import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidField } from '../../domain/errors.js';
import type { NoticeDelivery, NotificationSettings } from '../../domain/notice.js';
import { isoNow } from '../../domain/time.js';
import { maxWebhookUrlLength, newWebhookSecret, webhookUrlProblem } from '../../domain/webhookTarget.js';
import { countDeliveries, deliveriesPage, ensureSettings, updateSettings } from '../../store/queries/notices.js';
import { userOf } from '../auth.js';
import { page, pageLinks } from '../links.js';
import { errors, PageQuery, paginated } from '../schemas.js';

const Settings = Type.Object({
  webhook: Type.Union([Type.Object({ url: Type.String() }), Type.Null()], { description: 'Where a signed POST of the job JSON goes when a job ends; null for none' }),
  email: Type.Object({
    enabled: Type.Boolean({ description: 'An e-mail when a job ends; always false on a server with no SMTP server' }),
    address: Type.String({ description: "The user's e-mail address, where notices go (read-only here)" }),
    available: Type.Boolean({ description: 'Whether this server sends e-mail at all (it has an SMTP server): a page offers the choice only then' }),
  }),
  webhookSecret: Type.String({ description: 'The key of the X-Elnport-Signature HMAC-SHA256, made on first read' }),
});

// Closed objects: a misspelt key is refused rather than dropped, so a setting is never silently not set.
const closed = { additionalProperties: Type.Never() };

const SettingsChange = Type.Object(
  {
    webhook: Type.Optional(Type.Union([Type.Object({ url: Type.String({ minLength: 1, maxLength: maxWebhookUrlLength }) }, closed), Type.Null()])),
    email: Type.Optional(Type.Object({ enabled: Type.Boolean() }, closed)),
  },
  { ...closed, description: 'A key left out keeps its setting' },
);

const Delivery = Type.Object({
  id: Type.Integer(),
  jobId: Type.Integer(),
  channel: Type.Union([Type.Literal('webhook'), Type.Literal('email')]),
  target: Type.String({ description: 'The webhook URL or e-mail address, as the settings were when the job ended' }),
  event: Type.Union(['COMPLETED', 'FAILED', 'ABANDONED'].map((s) => Type.Literal(s))),
  status: Type.Union(['PENDING', 'RETRYING', 'DELIVERED', 'FAILED'].map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  lastAttemptAt: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
  responseStatus: Type.Union([Type.Integer(), Type.Null()], { description: "The last answer's HTTP status (webhook) or SMTP reply code (e-mail)" }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed' }),
  createdAt: Type.String(),
});

function settingsJson(app: FastifyInstance, request: FastifyRequest, settings: NotificationSettings) {
  return {
    webhook: settings.webhookUrl ? { url: settings.webhookUrl } : null,
    email: { enabled: settings.emailEnabled && app.config.notices.smtpUrl !== null, address: userOf(request).email, available: app.config.notices.smtpUrl !== null },
    webhookSecret: settings.webhookSecret,
  };
}

function deliveryJson(d: NoticeDelivery) {
  const { id, jobId, channel, target, event, status, attempts, lastAttemptAt, nextAttemptAt, responseStatus, error } = d;
  return { id, jobId, channel, target, event, status, attempts, lastAttemptAt, nextAttemptAt, responseStatus, error, createdAt: d.created };
}

/** The caller's notices when their jobs end (issue 12, extension): settings, secret, and every delivery made. */
export const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const settingsOf = (request: FastifyRequest) => ensureSettings(app.store.db, userOf(request).id, newWebhookSecret(), isoNow());

  app.get(
    '/me/notifications',
    { schema: { operationId: 'getNotificationSettings', summary: 'How the caller is told that a job ended (extension)', response: { 200: Settings, ...errors(401, 429, 500) } } },
    async (request) => settingsJson(app, request, await settingsOf(request)),
  );

  app.put(
    '/me/notifications',
    {
      schema: {
        operationId: 'setNotificationSettings',
        summary: 'Choose a webhook and/or e-mail for when a job ends (extension)',
        body: SettingsChange,
        response: { 200: Settings, ...errors(400, 401, 413, 415, 429, 500) },
      },
    },
    async (request) => {
      const { webhook, email } = request.body;
      const { allowPrivate, smtpUrl } = app.config.notices;
      let webhookUrl: string | null | undefined = webhook === null ? null : undefined;
      if (webhook) {
        const problem = webhookUrlProblem(webhook.url, allowPrivate);
        if (problem) throw invalidField('webhook.url', webhook.url, problem);
        webhookUrl = new URL(webhook.url).href;
      }
      if (email?.enabled && smtpUrl === null) throw invalidField('email.enabled', true, 'E-mail notices are off on this server: it has no SMTP server (ELNPORT_SMTP_URL)');
      const user = userOf(request).id;
      await settingsOf(request);
      await updateSettings(app.store.db, user, { webhookUrl, emailEnabled: email?.enabled }, isoNow());
      return settingsJson(app, request, await settingsOf(request));
    },
  );

  app.post(
    '/me/notifications/secret',
    {
      schema: {
        operationId: 'renewWebhookSecret',
        summary: 'Replace the webhook secret; notices are signed with the new one from now on (extension)',
        response: { 200: Settings, ...errors(401, 429, 500) },
      },
    },
    async (request) => {
      await settingsOf(request);
      await updateSettings(app.store.db, userOf(request).id, { webhookSecret: newWebhookSecret() }, isoNow());
      return settingsJson(app, request, await settingsOf(request));
    },
  );

  app.get(
    '/me/notifications/deliveries',
    {
      schema: {
        operationId: 'listNoticeDeliveries',
        summary: "The notices of the caller's ended jobs and how each went, newest first (extension)",
        querystring: Type.Object(PageQuery),
        response: { 200: paginated('deliveries', Delivery), ...errors(400, 401, 429, 500) },
      },
    },
    async (request) => {
      const owner = userOf(request).id;
      const p = page(request.query);
      const [totalHits, deliveries] = await Promise.all([countDeliveries(app.store.db, owner), deliveriesPage(app.store.db, owner, p.offset, p.limit)]);
      return { totalHits, pageNumber: p.pageNumber, deliveries: deliveries.map(deliveryJson), _links: pageLinks(request, totalHits, p.pageNumber, p.pageSize) };
    },
  );
};
