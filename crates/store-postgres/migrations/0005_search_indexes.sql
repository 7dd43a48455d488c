-- Migration 5: people-search indexes cover the person id, so a common name is answered from
-- the index alone (no table lookup per match).
DROP INDEX voters_name;
DROP INDEX voters_phone;
DROP INDEX voters_street;
DROP INDEX volunteers_name;
DROP INDEX volunteers_email;
DROP INDEX volunteers_phone;
DROP INDEX contacts_name;
DROP INDEX contacts_email;
DROP INDEX contacts_phone;
DROP INDEX donations_name;
CREATE INDEX voters_name ON voters (last_name, first_name, person_id);
CREATE INDEX voters_phone ON voters (phone, person_id);
CREATE INDEX voters_street ON voters (street, house_number, person_id);
CREATE INDEX volunteers_name ON volunteers (last_name, first_name, person_id);
CREATE INDEX volunteers_email ON volunteers (email, person_id);
CREATE INDEX volunteers_phone ON volunteers (phone, person_id);
CREATE INDEX contacts_name ON contacts (last_name, first_name, person_id);
CREATE INDEX contacts_email ON contacts (email, person_id);
CREATE INDEX contacts_phone ON contacts (phone, person_id);
CREATE INDEX donations_name ON donations (last_name, first_name, person_id);
