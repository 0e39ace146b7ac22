// write_orders.cypher for orders whose key names no node yet (ringwatch.graph.neo4j_ingest
// checked, before the load wrote anything): the order and its PLACED, FROM and ATTRIBUTED_TO are
// CREATEd (nothing stale to drop); buyer, shop and creator are still MERGEd.
// Same $rows; run again as write_orders.cypher if the driver retries it.
UNWIND $rows AS row
CREATE (o:Order)
SET o = row.props
SET o.placed_at = datetime({epochMillis: row.placed_at / 1000})
                  + duration({microseconds: row.placed_at % 1000}),
    o.refunded_at = CASE WHEN row.refunded_at IS NULL THEN null
                         ELSE datetime({epochMillis: row.refunded_at / 1000})
                              + duration({microseconds: row.refunded_at % 1000}) END
MERGE (buyer:Buyer {id: row.buyer_id})
CREATE (buyer)-[:PLACED]->(o)
MERGE (shop:Shop {id: row.shop_id})
CREATE (o)-[:FROM]->(shop)
WITH o, row
WHERE row.creator_id IS NOT NULL
MERGE (creator:Creator {id: row.creator_id})
CREATE (o)-[:ATTRIBUTED_TO]->(creator)
