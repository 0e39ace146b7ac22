// Delete every relationship, then every node, $batch_size per inner transaction. Relationships
// go first so that one inner transaction never holds more than $batch_size deletions: a
// DETACH DELETE of a batch of dense nodes (a hit shop, a carrier-grade NAT IP) would take all
// their relationships along and can exceed the server's transaction memory.
// Needs an implicit (auto-commit) transaction.
MATCH ()-[r]->()
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batch_size ROWS;
MATCH (n)
CALL (n) {
  DELETE n
} IN TRANSACTIONS OF $batch_size ROWS
