// Upsert a batch of commissions: (:Creator)-[:EARNED]->(:Commission)-[:FOR]->(:Order). Both
// relationships are single-valued: a later snapshot that moves a commission to another order or
// creator replaces the old one. Times arrive as epoch microseconds.
// $rows: [{props: {id, amount, rate, status, shop_id, ...extra columns}, created_at: int,
//          order_id: str, creator_id: str}]
// A stale relationship's far end is left unlabelled on purpose: then the planner can only
// expand from the node just merged, never scan every node of that label once per row.
UNWIND $rows AS row
MERGE (cm:Commission {id: row.props.id})
SET cm = row.props
SET cm.created_at = datetime({epochMillis: row.created_at / 1000})
                    + duration({microseconds: row.created_at % 1000})
WITH cm, row
CALL (cm, row) {
  MATCH (cm)-[stale:FOR]->(old)
  WHERE old.id <> row.order_id
  DELETE stale
}
CALL (cm, row) {
  MATCH (cm)<-[stale:EARNED]-(old)
  WHERE old.id <> row.creator_id
  DELETE stale
}
MERGE (o:Order {id: row.order_id})
MERGE (cm)-[:FOR]->(o)
MERGE (creator:Creator {id: row.creator_id})
MERGE (creator)-[:EARNED]->(cm)
