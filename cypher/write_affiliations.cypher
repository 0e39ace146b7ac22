// Upsert a batch of declared affiliations: (:Creator)-[:PROMOTES {commission_rate, started_at}]->(:Shop),
// one relationship per creator-shop pair. Times arrive as epoch microseconds.
// $rows: [{creator_id, shop_id, props: {commission_rate, ...extra columns}, started_at: int}]
UNWIND $rows AS row
MERGE (creator:Creator {id: row.creator_id})
MERGE (shop:Shop {id: row.shop_id})
MERGE (creator)-[promotes:PROMOTES]->(shop)
SET promotes = row.props
SET promotes.started_at = datetime({epochMillis: row.started_at / 1000})
                          + duration({microseconds: row.started_at % 1000})
