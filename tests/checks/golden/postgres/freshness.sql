SELECT MAX(CASE WHEN "changed_on" ~ '^ *[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN CAST("changed_on" AS TIMESTAMP) END) AS m_d453d334922a716e FROM (SELECT * FROM "stg_x" WHERE "batch_id" = :batch_id) AS src;
