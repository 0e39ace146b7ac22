// Upsert a batch of rings, keyed by ring_id, and replace each ring's HAS_MEMBER relationships
// with ones to its current members: an existing node of the member's label and id, else a new one.
// The props are what an investigator filters on (docs/contract.md, "Graph model"): the evidence
// as parallel lists evidence_codes / evidence_weights / evidence_texts, reviewed_at a DATETIME.
// $rings: [{props: {ring_id, kind, score, status, first_detected, last_run_id, version, doc,
//                   evidence_codes, evidence_weights, evidence_texts, reviewed_at, reviewed_by},
//           members: [{type, id}]}]   (member types: the domain's type table, one branch each)
UNWIND $rings AS ring
MERGE (g:Ring {ring_id: ring.props.ring_id})
SET g = ring.props
WITH g, ring
CALL (g) {
  MATCH (g)-[old:HAS_MEMBER]->()
  DELETE old
}
WITH g, ring
UNWIND ring.members AS member
CALL (member) {
  // for each member type, joined by UNION ALL:
  WITH member WHERE member.type = '{type}'
  MERGE (node:{label} {id: member.id}) RETURN node
  // end for
}
MERGE (g)-[:HAS_MEMBER]->(node)
