// `ringwatch load`, before a table's relationships: CREATE the nodes of label $label named by $ids,
// which ringwatch.graph.neo4j_ingest found named no node (so the relationship statements that
// follow can MATCH both ends instead of MERGEing them row by row). A label cannot be a parameter
// without a scan of every node, so each label is a branch and only the one $label names runs.
// Run again as write_nodes.cypher (MERGE) if the driver retries it or a key exists after all.
// $label: one of the branches' labels; $ids: [str], distinct. Returns how many were created.
CALL () {
  // for each member type, joined by UNION ALL:
  WITH 1 AS one WHERE $label = '{label}'
  UNWIND $ids AS id
  CREATE (n:{label} {id: id})
  RETURN count(n) AS made
  // end for
}
RETURN sum(made) AS made
