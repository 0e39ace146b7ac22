// Upsert a batch of orders with their buyer (PLACED), shop (FROM) and attributed creator
// (ATTRIBUTED_TO; none for an organic order). All three are single-valued: a later snapshot that
// changes one replaces the old relationship. Times arrive as epoch microseconds.
// $rows: [{props: {id, amount, currency, status, ...extra columns}, placed_at: int,
//          refunded_at: int|null, buyer_id: str, shop_id: str, creator_id: str|null}]
// A stale relationship's far end is left unlabelled on purpose: then the planner can only
// expand from the node just merged, never scan every node of that label once per row.
UNWIND $rows AS row
MERGE (o:Order {id: row.props.id})
SET o = row.props
SET o.placed_at = datetime({epochMillis: row.placed_at / 1000})
                  + duration({microseconds: row.placed_at % 1000}),
    o.refunded_at = CASE WHEN row.refunded_at IS NULL THEN null
                         ELSE datetime({epochMillis: row.refunded_at / 1000})
                              + duration({microseconds: row.refunded_at % 1000}) END
WITH o, row
CALL (o, row) {
  MATCH (o)<-[stale:PLACED]-(old)
  WHERE old.id <> row.buyer_id
  DELETE stale
}
CALL (o, row) {
  MATCH (o)-[stale:FROM]->(old)
  WHERE old.id <> row.shop_id
  DELETE stale
}
CALL (o, row) {
  MATCH (o)-[stale:ATTRIBUTED_TO]->(old)
  WHERE row.creator_id IS NULL OR old.id <> row.creator_id
  DELETE stale
}
MERGE (buyer:Buyer {id: row.buyer_id})
MERGE (buyer)-[:PLACED]->(o)
MERGE (shop:Shop {id: row.shop_id})
MERGE (o)-[:FROM]->(shop)
WITH o, row
WHERE row.creator_id IS NOT NULL
MERGE (creator:Creator {id: row.creator_id})
MERGE (o)-[:ATTRIBUTED_TO]->(creator)
