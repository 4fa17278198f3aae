-- Privacy mode (policy sensitiveAttributeStorage = "separate"): the sensitive
-- attributes of a decision are not stored on its trace but here, once per person,
-- keyed by a pseudonymous customer key (HMAC-SHA-256 of the customerId with the
-- tenant's secret below). Evaluation joins the two through decision_traces.customer_key;
-- erasing a person deletes their row here.
CREATE TABLE protected_attributes (
  tenant_id TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  attributes TEXT NOT NULL,       -- JSON object: sensitive attribute → value
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, customer_key)
);

-- One secret per tenant, created on first use; it never leaves the database.
CREATE TABLE privacy_secrets (
  tenant_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  created_at TEXT NOT NULL
);

ALTER TABLE decision_traces ADD COLUMN customer_key TEXT;
CREATE INDEX decision_traces_customer_key ON decision_traces(tenant_id, customer_key) WHERE customer_key IS NOT NULL;
