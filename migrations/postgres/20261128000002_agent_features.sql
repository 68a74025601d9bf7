-- Protocol extensions an agent announced at registration (e.g. "wol-batch").
ALTER TABLE agents ADD COLUMN features JSONB NOT NULL DEFAULT '[]';
