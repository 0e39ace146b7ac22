// The idempotent twin of ingest_nodes.cypher: MERGE the nodes of label $label named by $ids (a
// retried batch, or keys another load wrote meanwhile). Only the branch $label names runs.
// $label: one of the branches' labels; $ids: [str]. Returns how many ids were sent.
CALL () {
  // for each member type, joined by UNION ALL:
  WITH 1 AS one WHERE $label = '{label}'
  UNWIND $ids AS id
  MERGE (n:{label} {id: id})
  RETURN count(n) AS made
  // end for
}
RETURN sum(made) AS made
