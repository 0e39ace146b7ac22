// Constraints and indexes of the graph model (ringwatch.graph.model), created on a store's first write.
// Every node is keyed by its contract id in property `id`: the unique constraint is also the
// index every MERGE of a write statement looks nodes up by. All IF NOT EXISTS: rerunning is a no-op.
// for each account type:
CREATE CONSTRAINT {type}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE;
// end for
CREATE CONSTRAINT order_id IF NOT EXISTS FOR (n:Order) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT commission_id IF NOT EXISTS FOR (n:Commission) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT agency_id IF NOT EXISTS FOR (n:Agency) REQUIRE n.id IS UNIQUE;
// for each identifier type:
CREATE CONSTRAINT {type}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE;
// end for
CREATE CONSTRAINT violation_id IF NOT EXISTS FOR (n:Violation) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT allowlist_entry_id IF NOT EXISTS FOR (n:AllowlistEntry) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT ring_ring_id IF NOT EXISTS FOR (n:Ring) REQUIRE n.ring_id IS UNIQUE;
CREATE CONSTRAINT run_run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.run_id IS UNIQUE;
// Runs are listed in the order they were saved.
CREATE INDEX run_seq IF NOT EXISTS FOR (n:Run) ON (n.seq);
// The review API: the audit log (numbered by a sequence node) and API keys.
CREATE CONSTRAINT sequence_name IF NOT EXISTS FOR (n:Sequence) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT audit_entry_seq IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.seq IS UNIQUE;
CREATE CONSTRAINT api_key_key_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.key_id IS UNIQUE;
// Reviewers' verdicts, numbered by their own sequence.
CREATE CONSTRAINT verdict_seq IF NOT EXISTS FOR (n:Verdict) REQUIRE n.seq IS UNIQUE;
// Investigators' cases, kept by `load --replace` like verdicts.
CREATE CONSTRAINT case_case_id IF NOT EXISTS FOR (n:Case) REQUIRE n.case_id IS UNIQUE;
