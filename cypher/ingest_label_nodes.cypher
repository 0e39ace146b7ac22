// `ringwatch load`: how many nodes have label $label (the count store answers at once), so that
// the ingest skips asking which keys exist for an empty label, and reads every id of a label
// with few nodes (ingest_label_ids.cypher) instead of seeking each key (ingest_existing_ids.cypher).
CALL () {
  // for each account type, joined by UNION ALL:
  WITH 1 AS one WHERE $label = '{label}'
  MATCH (n:{label}) RETURN count(n) AS nodes
  // end for
  UNION ALL
  WITH 1 AS one WHERE $label = 'Order'
  MATCH (n:Order) RETURN count(n) AS nodes
  UNION ALL
  WITH 1 AS one WHERE $label = 'Commission'
  MATCH (n:Commission) RETURN count(n) AS nodes
  UNION ALL
  WITH 1 AS one WHERE $label = 'Violation'
  MATCH (n:Violation) RETURN count(n) AS nodes
}
RETURN sum(nodes) AS nodes
