// Upsert a batch of policy violations: (:Creator)-[:COMMITTED]->(:Violation). A violation's id is
// the composite of its key (creator_id|policy|occurred_at), so its creator never changes.
// Times arrive as epoch microseconds.
// $rows: [{props: {id, policy, severity, ...extra columns}, occurred_at: int, creator_id: str}]
UNWIND $rows AS row
MERGE (v:Violation {id: row.props.id})
SET v = row.props
SET v.occurred_at = datetime({epochMillis: row.occurred_at / 1000})
                    + duration({microseconds: row.occurred_at % 1000})
MERGE (creator:Creator {id: row.creator_id})
MERGE (creator)-[:COMMITTED]->(v)
