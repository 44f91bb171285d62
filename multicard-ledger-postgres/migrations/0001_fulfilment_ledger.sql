-- multicard-ledger-postgres, migration 1: the fulfilment ledger.
-- Applied by PgLedger::migrate() inside one transaction, under an advisory
-- lock, and recorded in multicard_schema_migrations.

-- One decision per payment; at most one credited payment per order.
-- `pending` is the row claimed by an attempt in progress: it is replaced by
-- the decision in the same transaction, so it is never committed.
CREATE TABLE multicard_fulfilments (
    store_id      text        NOT NULL,
    payment_uuid  text        NOT NULL,
    invoice_id    text        NOT NULL,
    amount        bigint      NOT NULL,
    decision      text        NOT NULL
        CONSTRAINT multicard_fulfilments_decision_check
        CHECK (decision IN ('pending', 'accepted', 'refused', 'duplicate')),
    -- What the payer was shown (refused, duplicate).
    message       text,
    -- For a duplicate: the payment that credited the order.
    credited_by   text,
    -- Whether this row is the order's credited payment: true while pending
    -- (the claim) and once accepted; false for a refusal and a duplicate.
    credits_order boolean     NOT NULL,
    decided_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, payment_uuid),
    CONSTRAINT multicard_fulfilments_duplicate_check
        CHECK (decision <> 'duplicate' OR (credited_by IS NOT NULL AND NOT credits_order))
);

-- A concurrent attempt for another payment of the same order waits on this
-- index (then finds the order credited).
CREATE UNIQUE INDEX multicard_fulfilments_order_credit
    ON multicard_fulfilments (store_id, invoice_id) WHERE credits_order;

-- For purge: rows by age.
CREATE INDEX multicard_fulfilments_decided_at ON multicard_fulfilments (decided_at);

-- One decision per bound card.
CREATE TABLE multicard_card_bindings (
    application_id text        NOT NULL,
    payer_id       text        NOT NULL,
    card_token     text        NOT NULL,
    decision       text        NOT NULL
        CONSTRAINT multicard_card_bindings_decision_check
        CHECK (decision IN ('pending', 'accepted', 'refused')),
    message        text,
    decided_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, payer_id, card_token)
);

-- The status the API last read for each payment, moved only forward
-- (rank: draft 0 < progress 1 < billing = hold 2 < error 3 < success 4 < revert 5).
CREATE TABLE multicard_payment_statuses (
    store_id     text        NOT NULL,
    payment_uuid text        NOT NULL,
    status       text        NOT NULL,
    rank         smallint    NOT NULL CHECK (rank BETWEEN 0 AND 5),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, payment_uuid)
);

-- Payments this service answered 500 (held) and has not decided since.
-- Written outside the failed attempt's transaction; deleted by the
-- transaction that decides the payment.
CREATE TABLE multicard_failures (
    store_id        text        NOT NULL,
    payment_uuid    text        NOT NULL,
    invoice_id      text        NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at  timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 1 CHECK (attempts > 0),
    last_reason     text        NOT NULL,
    PRIMARY KEY (store_id, payment_uuid)
);

-- Effects other than database writes (mail, HTTP calls, messages), written
-- by the handler in the deciding transaction and sent by a worker after
-- the commit.
CREATE TABLE multicard_outbox (
    id         bigserial   PRIMARY KEY,
    topic      text        NOT NULL,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

CREATE INDEX multicard_outbox_unsent ON multicard_outbox (id) WHERE sent_at IS NULL;
