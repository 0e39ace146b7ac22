// `ringwatch load --replace`: delete the marketplace graph and the runs and rings found in it,
// keep what the team made: API keys, the audit log, reviewers' verdicts and the sequences that
// number them (so numbering carries on instead of colliding), and the generation markers (the
// load that clears marked its generation incomplete first: begin_generation.cypher). None of
// those kept nodes has a relationship, so every relationship goes. Batched as clear.cypher is, for the same reason.
// Needs an implicit (auto-commit) transaction.
MATCH ()-[r]->()
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batch_size ROWS;
MATCH (n)
WHERE NOT (n:ApiKey OR n:AuditEntry OR n:Verdict OR n:Sequence OR n:SnapshotGeneration)
CALL (n) {
  DELETE n
} IN TRANSACTIONS OF $batch_size ROWS
