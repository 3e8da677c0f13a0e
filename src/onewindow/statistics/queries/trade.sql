-- Trade statistics of one flow and one month by one dimension, with the table's total, from the
-- month's trade summary (trade_cells, made by trade_summary.sql; trade_items.sql gives the same
-- rows from the goods lines themselves).
-- Parameters (positional): dimension (hs2, hs4, hs6, partner, procedure, mode, office),
-- flow (import or export), month (YYYY-MM).
-- Each row: the cell's code and the code it belongs to (the chapter of a heading, the heading of
-- a subheading), the distinct traders and declarations behind it (for confidentiality, never
-- published), and the measures. The row with kind 'total' sums the whole table.
SELECT
    CASE WHEN dimension = 'total' THEN 'total' ELSE 'cell' END AS kind,
    code,
    parent,
    traders,
    declarations,
    statistical_value,
    net_mass_kg,
    supplementary_quantity,
    duties_taxes
FROM trade_cells
WHERE dimension IN (?, 'total') AND flow = ? AND month = ?
ORDER BY kind, statistical_value DESC NULLS LAST, code, parent
