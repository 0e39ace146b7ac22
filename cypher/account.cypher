// One account's identifiers, each with the number of distinct accounts using it (USES is one
// relationship per account and identifier, so that is the identifier's USES degree). No row
// when the account does not exist (as in account_exists); one row of nulls when it uses none.
// $account_type: 'creator' | 'shop' | 'seller' | 'buyer', $account_id: str
CALL () {
  MATCH (a:Creator {id: $account_id})
  WHERE $account_type = 'creator' AND a.registered_at IS NOT NULL
  RETURN a
  UNION ALL
  MATCH (a:Shop {id: $account_id})
  WHERE $account_type = 'shop' AND a.registered_at IS NOT NULL
  RETURN a
  UNION ALL
  MATCH (a:Seller {id: $account_id})
  WHERE $account_type = 'seller' AND EXISTS { (a)-[:OWNS|USES]->() }
  RETURN a
  UNION ALL
  MATCH (a:Buyer {id: $account_id})
  WHERE $account_type = 'buyer' AND EXISTS { (a)-[:PLACED|USES]->() }
  RETURN a
}
OPTIONAL MATCH (a)-[:USES]->(identifier)
RETURN CASE
         // for each identifier type:
         WHEN identifier:{label} THEN '{type}'
         // end for
       END AS type,
       identifier.id AS id,
       CASE WHEN identifier IS NULL THEN 0 ELSE COUNT { (identifier)<-[:USES]-() } END AS shared_by
