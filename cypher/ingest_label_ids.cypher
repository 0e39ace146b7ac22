// `ringwatch load`, before anything of a generation is written: the id of every node of label
// $label, as one list, read off the label's id index (about 1 us an id, where a seek of each key
// costs about 5: ringwatch.graph.neo4j_ingest reads a label this way when it holds few nodes
// next to the keys it asks about). A label cannot be a parameter, so each label is a branch.
CALL () {
  // for each account type, joined by UNION ALL:
  WITH 1 AS one WHERE $label = '{label}'
  MATCH (n:{label}) WHERE n.id IS NOT NULL RETURN collect(n.id) AS ids
  // end for
  UNION ALL
  WITH 1 AS one WHERE $label = 'Order'
  MATCH (n:Order) WHERE n.id IS NOT NULL RETURN collect(n.id) AS ids
  UNION ALL
  WITH 1 AS one WHERE $label = 'Commission'
  MATCH (n:Commission) WHERE n.id IS NOT NULL RETURN collect(n.id) AS ids
  UNION ALL
  WITH 1 AS one WHERE $label = 'Violation'
  MATCH (n:Violation) WHERE n.id IS NOT NULL RETURN collect(n.id) AS ids
}
UNWIND ids AS id
RETURN collect(id) AS ids
