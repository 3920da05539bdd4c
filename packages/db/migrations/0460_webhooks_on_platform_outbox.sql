-- Webhook deliveries move onto the platform outbox (0012): one outbox message per (event,
-- endpoint) with topic 'webhook.delivery', its dedupe_key the Standard Webhooks webhook-id
-- (msg_...), its payload {webhook_id, endpoint_id, event_type, body}. webhook_messages, the webhooks'
-- own outbox, goes; webhook_attempts stays as the delivery log, tied to the endpoint.
--
-- The outbox gains the state 'cancelled': a consumer ended the message for good without
-- exhausting its retries (a webhook receiver answered 410 Gone). Replayable by id.
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled'));
-- The delivery log lists an endpoint's messages newest first.
CREATE INDEX outbox_webhook_endpoint ON outbox (tenant_id, (payload->>'endpoint_id'), id) WHERE topic = 'webhook.delivery';

-- Carry every webhook message over with its state and schedule. RLS is forced for the owner
-- too, so each tenant's rows are moved under that tenant's own setting.
DO $$
DECLARE
  t uuid;
BEGIN
  PERFORM set_config('app.list_tenants', 'on', true);
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO outbox (tenant_id, topic, payload, dedupe_key, state, attempts, max_attempts, next_attempt_at, created_at, delivered_at)
    SELECT m.tenant_id, 'webhook.delivery', jsonb_build_object('webhook_id', m.id, 'endpoint_id', m.endpoint_id, 'event_type', m.event_type, 'body', m.body), m.id,
           m.state, m.attempts, 10, CASE WHEN m.state = 'pending' THEN m.next_attempt_at END, m.created_at,
           CASE WHEN m.state = 'delivered' THEN m.finished_at END
      FROM webhook_messages m WHERE m.tenant_id = t
      ON CONFLICT (tenant_id, topic, dedupe_key) DO NOTHING;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END $$;

-- Drops the attempts' foreign key to webhook_messages with it.
DROP TABLE webhook_messages CASCADE;
ALTER TABLE webhook_attempts ADD FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE;
