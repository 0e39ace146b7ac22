// `ringwatch load --replace`: delete the marketplace graph (the runs and rings found in it go
// later, once the new generation is written: clear_detections.cypher), keep what the team
// made: API keys, the audit log, reviewers' verdicts, cases and the sequences that number them (so
// numbering carries on instead of colliding), and the generation markers (the load that clears
// marked its generation incomplete first: begin_generation.cypher). Every relationship goes
// (a ring's links to its members are made again when it is saved). Batched as clear.cypher
// is, for the same reason.
// Needs an implicit (auto-commit) transaction.
MATCH ()-[r]->()
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batch_size ROWS;
MATCH (n)
WHERE NOT (n:ApiKey OR n:AuditEntry OR n:Verdict OR n:Case OR n:Sequence
             OR n:SnapshotGeneration OR n:Ring OR n:Run)
CALL (n) {
  DELETE n
} IN TRANSACTIONS OF $batch_size ROWS
