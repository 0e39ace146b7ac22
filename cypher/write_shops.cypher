// Upsert a batch of shops and their seller (OWNS is single-valued: a shop that changed hands
// loses the old seller's OWNS). Times arrive as epoch microseconds.
// $rows: [{props: {id, region, category, ...extra columns}, registered_at: int, seller_id: str}]
// A stale relationship's far end is left unlabelled on purpose: then the planner can only
// expand from the node just merged, never scan every node of that label once per row.
UNWIND $rows AS row
MERGE (s:Shop {id: row.props.id})
SET s = row.props
SET s.registered_at = datetime({epochMillis: row.registered_at / 1000})
                      + duration({microseconds: row.registered_at % 1000})
WITH s, row
CALL (s, row) {
  MATCH (s)<-[stale:OWNS]-(old)
  WHERE old.id <> row.seller_id
  DELETE stale
}
MERGE (seller:Seller {id: row.seller_id})
MERGE (seller)-[:OWNS]->(s)
