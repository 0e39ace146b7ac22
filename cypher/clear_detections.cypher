// `ringwatch load --replace`, once every table of the new generation is written and just before
// it is marked complete: delete the runs and the rings found in the previous graph. Until then
// a killed load leaves them (with their review status) as they were.
// Needs an implicit (auto-commit) transaction.
MATCH (n)
WHERE n:Ring OR n:Run
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF $batch_size ROWS
