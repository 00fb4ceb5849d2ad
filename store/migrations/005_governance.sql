-- Reserved for the governance branch (proposals, signals, tallies, votes). This placeholder keeps
-- the numbering gap-free on the telegram branch; the governance branch's 005 replaces it at merge.
SELECT 1;
