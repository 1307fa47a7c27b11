-- Each version's files (its sheet, plan, results workbook, summary and
-- rows), so that app instances share them without a shared folder.
CREATE TABLE app_files (
    batch   text NOT NULL,
    version integer NOT NULL,
    name    text NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (batch, version, name)
);

-- An audit entry copied from an app's data directory (importer state copy)
-- is marked with the SHA-256 of the entry as it was there, so that copying
-- twice adds it once.
ALTER TABLE app_audit ADD COLUMN copied text UNIQUE;
