// `ringwatch load --replace`: delete the marketplace graph and the runs and rings found in it,
// keep what the team made: API keys, the audit log, reviewers' verdicts, cases and the sequences that
// number them (so numbering carries on instead of colliding). None of those kept nodes has a
// relationship, so every relationship goes. Batched as clear.cypher is, for the same reason.
// Needs an implicit (auto-commit) transaction.
MATCH ()-[r]->()
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batch_size ROWS;
MATCH (n)
WHERE NOT (n:ApiKey OR n:AuditEntry OR n:Verdict OR n:Case OR n:Sequence)
CALL (n) {
  DELETE n
} IN TRANSACTIONS OF $batch_size ROWS
