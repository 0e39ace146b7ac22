// `ringwatch load`: whether no node has label $label (the count store answers at once), so that
// the ingest can skip asking which keys exist (ingest_existing_ids.cypher) for an empty label.
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
RETURN sum(nodes) = 0 AS empty
