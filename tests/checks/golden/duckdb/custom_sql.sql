SELECT * FROM (SELECT SUM(u.failed_rows) AS g0_failed_rows FROM (SELECT '' AS k, '' AS v, 1 AS failed_rows FROM (SELECT partner_id FROM t WHERE batch_id = :batch_id AND x = 'a') AS q) AS u) AS g0;
