// `ringwatch load`, before anything of a generation is written: which of these ids already name a
// node of label $label. The ingest writes the others (new keys) with CREATE instead of MERGE
// (ringwatch.graph.neo4j_ingest). A label cannot be a parameter without a scan of every node, so
// each label the ingest asks about is a branch; only the one $label names seeks its index.
// $label: one of the branches' labels; $ids: [str]. Returns the ids found, once each, as one
// list: the driver takes about 20 us a record, 1 a list item (20,000 ids: 0.44 s as records,
// 0.10 s as a list).
UNWIND $ids AS id
CALL (id) {
  // for each account type, joined by UNION ALL:
  WITH id WHERE $label = '{label}'
  MATCH (n:{label} {id: id}) RETURN n
  // end for
  UNION ALL
  WITH id WHERE $label = 'Order'
  MATCH (n:Order {id: id}) RETURN n
  UNION ALL
  WITH id WHERE $label = 'Commission'
  MATCH (n:Commission {id: id}) RETURN n
  UNION ALL
  WITH id WHERE $label = 'Violation'
  MATCH (n:Violation {id: id}) RETURN n
}
RETURN collect(id) AS ids
