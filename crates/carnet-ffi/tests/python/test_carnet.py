"""The whole story of Carnet's app core, driven through its generated Python bindings.

Run by .ci/run after `scripts/bindings.sh DIR`:

    PYTHONPATH=DIR/python python3 -m unittest discover -s crates/carnet-ffi/tests/python -v

Every vault here uses the cheapest passphrase cost (kdf_log_n=10), which only tests may use.
"""

import json
import os
import tempfile
import threading
import time
import unittest

import carnet
from carnet import (
    Access,
    AllergyInput,
    AttachmentInfo,
    CarnetError,
    ByteSink,
    ByteSource,
    CarnetVault,
    ConditionInput,
    ImmunizationInput,
    MeasurementInput,
    MedicationInput,
    ProcedureInput,
    ProfileInput,
    Role,
    Section,
    SyncEvent,
    create_vault,
    error_code,
    restore_vault,
    verify_audit,
)

CHEAP = 10


class FileSource(ByteSource):
    """The app's reader (a content URI's stream, a file): the core asks for pieces."""

    def __init__(self, data, fail_after=None):
        self.data, self.at, self.fail_after, self.asked = data, 0, fail_after, []

    def read(self, max):
        self.asked.append(max)
        if self.fail_after is not None and self.at >= self.fail_after:
            raise CarnetError.Io("the network share went away")
        piece = self.data[self.at : self.at + max]
        self.at += len(piece)
        return piece


class FileSink(ByteSink):
    """The app's writer (a share sheet, a file)."""

    def __init__(self, fail_after=None):
        self.data, self.pieces, self.fail_after = bytearray(), 0, fail_after

    def write(self, data):
        if self.fail_after is not None and len(self.data) >= self.fail_after:
            raise CarnetError.Io("the disk is full")
        self.data += data
        self.pieces += 1
SCAN = b"%PDF-1.4 a small scan of a lab report\n" + bytes(range(256)) * 8


def new_vault(root, name, role=Role.PATIENT, passphrase=None):
    return create_vault(
        os.path.join(root, name.replace(" ", "-")),
        passphrase or f"{name} passphrase",
        name,
        role,
        CHEAP,
    )


def add_every_kind(v):
    """One entry of every kind the core takes from an app; returns their kinds."""
    v.add_profile(None, ProfileInput(name="Alice Martin", birth_date="1984-05-12", sex="female", blood_group="A+"))
    v.add_allergy(None, AllergyInput(substance="Penicillin", criticality="high", reaction="hives"))
    v.add_condition(None, ConditionInput(name="Type 2 diabetes", code="snomed:44054006", onset="2019-03"))
    v.add_medication(None, MedicationInput(name="Metformin", code="atc:A10BA02", dosage="500 mg twice a day", start="2019-04-01"))
    v.add_immunization(None, ImmunizationInput(vaccine="Influenza", code="cvx:158", date="2025-10-15", lot="FLU-117"))
    v.add_measurement(None, MeasurementInput(kind="blood-pressure", value="128/82", unit="mmHg"))
    v.add_measurement(None, MeasurementInput(kind="glucose", value="7,2", unit="mmol/L", at="2025-11-02T08:15:00Z"))
    v.add_procedure(None, ProcedureInput(name="Appendectomy", date="2001-06"))
    v.add_note(None, "Dizzy after the new dose", None)
    # What the typed calls do not cover goes as the core's JSON form of an entry.
    v.add_entry_json(None, json.dumps({"type": "note", "text": "Written as JSON", "title": "json"}))
    v.attach(
        None,
        SCAN,
        AttachmentInfo(title="HbA1c", doc_type="report", file_name="hba1c.pdf", media_type="application/pdf"),
    )
    return {"profile", "allergy", "condition", "medication", "immunization", "measurement", "procedure", "note", "document"}


class Story(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_the_whole_story(self):
        # Create: the recovery phrase comes with the vault.
        created = new_vault(self.root, "Alice")
        phrase = created.recovery_phrase()
        self.assertEqual(len(phrase.split(" ")), 24)
        self.assertNotIn(phrase, repr(created) + str(created))
        alice = created.vault()
        self.assertEqual(alice.role(), Role.PATIENT)
        record = alice.own_record()

        # Add every kind, attach, list, get.
        kinds = add_every_kind(alice)
        entries = alice.list(None, None)
        self.assertEqual({e.kind for e in entries}, kinds)
        self.assertEqual(len(entries), 11)
        for e in entries:
            self.assertEqual(e.record, record)
            self.assertEqual(json.loads(e.json)["type"], e.kind)
            self.assertTrue(e.summary)
        allergies = alice.list(None, Section.ALLERGIES)
        self.assertEqual([e.kind for e in allergies], ["allergy"])
        self.assertIn("Penicillin", allergies[0].summary)
        self.assertEqual(json.loads(allergies[0].json)["criticality"], "high")
        by_prefix = alice.get(None, allergies[0].id[:5])
        self.assertEqual(by_prefix.id, allergies[0].id)
        [doc] = alice.list(None, Section.DOCUMENTS)
        self.assertEqual(alice.attachment(None, doc.id), SCAN)
        bp = [e for e in alice.list(None, Section.MEASUREMENTS) if "128/82" in e.summary]
        self.assertEqual(len(bp), 1, [e.summary for e in alice.list(None, Section.MEASUREMENTS)])

        # Contacts, both ways.
        doctor = new_vault(self.root, "Dr Martin", Role.CLINICIAN).vault()
        c = alice.add_contact("Dr Martin", doctor.card())
        self.assertEqual(c.id, doctor.person_id())
        doctor.add_contact("Alice", alice.card())
        self.assertEqual([c.name for c in alice.contacts()], ["Dr Martin"])

        # Grant, export a bundle, the clinician imports it and reads the shared sections.
        grant = alice.grant("Dr Martin", [Section.ALLERGIES, Section.MEDICATIONS, Section.DOCUMENTS], Access.READ, "care", None)
        [g] = alice.grants()
        self.assertEqual(g.id, grant)
        self.assertFalse(g.revoked)
        bundle = os.path.join(self.root, "to-doctor.carnet")
        sent = alice.export_bundle("Dr Martin", bundle, False)
        self.assertGreater(sent.envelopes, 0)
        self.assertEqual(sent.attachments, 1)
        got = doctor.import_bundle(bundle)
        self.assertGreater(got.envelopes, 0)
        [shared] = doctor.patients()
        self.assertEqual(shared.record, record)
        self.assertEqual(shared.name, "Alice")
        self.assertEqual(set(shared.readable), {Section.ALLERGIES, Section.MEDICATIONS, Section.DOCUMENTS})
        seen = doctor.list(record, None)
        self.assertEqual({e.kind for e in seen}, {"allergy", "medication", "document"})
        self.assertEqual(doctor.attachment(record, doc.id), SCAN)
        with self.assertRaises(CarnetError.NotShared):
            doctor.list(record, Section.NOTES)
        # Read access: the clinician may not write.
        with self.assertRaises(CarnetError.ReadOnly) as cm:
            doctor.add_allergy(record, AllergyInput(substance="Aspirin"))
        self.assertEqual(error_code(cm.exception), 8)

        # Revoke: nothing new reaches the clinician.
        ended = alice.revoke(grant)
        self.assertTrue(ended.revoked)
        alice.add_allergy(None, AllergyInput(substance="Latex"))
        after = os.path.join(self.root, "after-revoke.carnet")
        try:
            alice.export_bundle("Dr Martin", after, False)
            doctor.import_bundle(after)
        except CarnetError.NothingShared:
            pass
        self.assertNotIn("Latex", " ".join(e.summary for e in doctor.list(record, None)))

        # Audit export verifies offline; a tampered one does not.
        export = alice.audit_export()
        report = verify_audit(export)
        self.assertTrue(report.ok, report.first_error)
        self.assertGreaterEqual(report.entries, 5)  # genesis, root, device, grant, revoke
        self.assertNotIn("Penicillin", export)
        tampered = json.loads(export)
        tampered["entries"] = tampered["entries"][:2] + tampered["entries"][3:]
        bad = verify_audit(json.dumps(tampered))
        self.assertFalse(bad.ok)
        self.assertTrue(bad.first_error)

    def test_streams_through_the_app_s_own_readers_and_writers(self):
        created = new_vault(self.root, "Alice")
        phrase = created.recovery_phrase()
        alice = created.vault()
        alice.add_allergy(None, AllergyInput(substance="Penicillin"))
        info = AttachmentInfo(title="MRI", doc_type="imaging", file_name="mri.dcm", media_type="application/dicom")
        # A scan larger than one piece: the core reads it a piece at a time.
        scan = os.urandom(300 * 1024 + 17)
        source = FileSource(scan)
        doc = alice.attach_from(None, source, info)
        self.assertGreater(len(source.asked), 4)
        self.assertTrue(all(m <= 64 * 1024 for m in source.asked))
        out = FileSink()
        self.assertEqual(alice.attachment_to(None, doc.id, out), len(scan))
        self.assertEqual(bytes(out.data), scan)
        self.assertGreater(out.pieces, 4)
        # A source that fails half-way stores nothing.
        before = len(alice.list(None, None))
        self.raises(CarnetError.Io, 17, alice.attach_from, None, FileSource(scan, fail_after=128 * 1024), info)
        self.assertEqual(len(alice.list(None, None)), before)

        # A bundle to a share sheet, read by the clinician from their own stream.
        doctor = new_vault(self.root, "Dr Martin", Role.CLINICIAN).vault()
        alice.add_contact("Dr Martin", doctor.card())
        doctor.add_contact("Alice", alice.card())
        alice.grant("Dr Martin", [Section.ALLERGIES, Section.DOCUMENTS], Access.READ, "care", None)
        # A share sheet that fails records nothing: the next export still sends everything.
        self.raises(CarnetError.Io, 17, alice.export_bundle_to, "Dr Martin", FileSink(fail_after=1), False)
        sheet = FileSink()
        sent = alice.export_bundle_to("Dr Martin", sheet, False)
        self.assertEqual(sent.attachments, 1)
        self.assertEqual(sent.bytes, len(sheet.data))
        # A cut bundle is refused whole; the full one imports.
        self.raises(CarnetError.Damaged, 16, doctor.import_bundle_from, FileSource(bytes(sheet.data[: len(sheet.data) // 2])))
        self.assertEqual(doctor.patients(), [])
        got = doctor.import_bundle_from(FileSource(bytes(sheet.data)))
        self.assertEqual(got.attachments, 1)
        mine = FileSink()
        doctor.attachment_to(alice.own_record(), doc.id, mine)
        self.assertEqual(bytes(mine.data), scan)

        # A backup to the app's stream; restored elsewhere with the recovery phrase.
        backup = FileSink()
        summary = alice.backup_to(backup)
        self.assertEqual(summary.bytes, len(backup.data))
        self.assertNotIn(b"Penicillin", bytes(backup.data))
        target = os.path.join(self.root, "restored")
        # A cut backup leaves no vault behind.
        self.raises(CarnetError.Damaged, 16, restore_vault, target, "new passphrase", FileSource(bytes(backup.data[:-100])), phrase, CHEAP)
        self.assertFalse(os.path.exists(os.path.join(target, "vault.redb")))
        self.raises(CarnetError.InvalidInput, 4, restore_vault, target, "new passphrase", FileSource(bytes(backup.data)), "not a phrase", CHEAP)
        restored = restore_vault(target, "new passphrase", FileSource(bytes(backup.data)), phrase, CHEAP)
        self.assertEqual(restored.summary().name, "Alice")
        again = restored.vault()
        self.assertEqual(
            sorted(e.summary for e in again.list(None, None)),
            sorted(e.summary for e in alice.list(None, None)),
        )
        back = FileSink()
        again.attachment_to(None, doc.id, back)
        self.assertEqual(bytes(back.data), scan)

    def raises(self, cls, code, fn, *args):
        with self.assertRaises(cls) as cm:
            fn(*args)
        self.assertEqual(error_code(cm.exception), code)
        return cm.exception

    def test_live_sync_on_loopback_with_events(self):
        alice = new_vault(self.root, "Alice").vault()
        doctor = new_vault(self.root, "Dr Martin", Role.CLINICIAN).vault()
        record = alice.own_record()
        alice.add_contact("Dr Martin", doctor.card())
        alice.add_note(None, "first", None)
        grant = alice.grant("Dr Martin", [Section.NOTES], Access.READ, "care", None)

        def notes():
            try:
                return sorted(e.summary for e in doctor.list(record, Section.NOTES))
            except CarnetError.NotShared:
                return []

        def wait_for(sync, want):
            """Events until one is `want`'s (a bound only so that a missing one fails)."""
            seen = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                e = sync.next_event(200)
                if e is not None:
                    seen.append(e)
                    if want(e):
                        return seen
            self.fail(f"the event never came; seen: {seen}")

        def received_changes(e):
            return isinstance(e, SyncEvent.RECEIVED) and e.changes > 0

        at_alice = alice.start_sync("127.0.0.1:0")
        at_doctor = doctor.start_sync("127.0.0.1:0")
        try:
            at_doctor.connect(at_alice.ticket())
            seen = wait_for(at_doctor, received_changes)
            self.assertTrue(any(isinstance(e, SyncEvent.PEER_CONNECTED) and e.peer == "Alice" for e in seen), seen)
            self.assertTrue(any(isinstance(e, SyncEvent.RECEIVED) and e.grants > 0 for e in seen), seen)
            self.assertTrue(any("first" in n for n in notes()), notes())
            # Alice's app writes on its own handle while sync runs: the doctor hears it.
            alice.add_note(None, "second", None)
            wait_for(at_doctor, lambda e: received_changes(e) and any("second" in n for n in notes()))
            wait_for(at_alice, lambda e: isinstance(e, SyncEvent.DELIVERED) and e.changes > 0)
            # Revoked: what Alice writes next never reaches the doctor.
            alice.revoke(grant)
            alice.add_note(None, "after the revoke", None)
            try:
                at_doctor.sync_once(at_alice.ticket())
            except (CarnetError.Refused, CarnetError.NothingShared, CarnetError.Network):
                pass
            self.assertFalse(any("after the revoke" in n for n in notes()), notes())
            # Errors arrive as typed exceptions.
            self.raises(CarnetError.InvalidInput, 4, at_doctor.connect, "not a ticket")
        finally:
            at_alice.stop()
            at_doctor.stop()
        self.raises(CarnetError.Network, 19, at_doctor.sync_once, at_alice.ticket())
        # The handles go on working once sync stopped.
        alice.add_note(None, "later", None)

    def test_a_prescription_travels_back(self):
        alice = new_vault(self.root, "Alice").vault()
        doctor = new_vault(self.root, "Dr Martin", Role.CLINICIAN).vault()
        alice.add_contact("Dr Martin", doctor.card())
        doctor.add_contact("Alice", alice.card())
        record = alice.own_record()
        alice.grant("Dr Martin", [Section.MEDICATIONS], Access.WRITE, "follow-up", None)
        out = os.path.join(self.root, "out.carnet")
        alice.export_bundle("Dr Martin", out, False)
        doctor.import_bundle(out)
        doctor.add_medication(record, MedicationInput(name="Metformin", dosage="500 mg twice a day"))
        back = os.path.join(self.root, "back.carnet")
        doctor.export_bundle("Alice", back, False)
        got = alice.import_bundle(back)
        self.assertEqual(got.envelopes, 1)
        [med] = alice.list(None, Section.MEDICATIONS)
        self.assertIn("Metformin", med.summary)
        self.assertEqual(med.author, doctor.person_id())
        self.assertEqual(med.author_name, "Dr Martin")

    def test_keystore_unlock_and_a_new_passphrase(self):
        created = new_vault(self.root, "Alice", passphrase="first passphrase")
        alice = created.vault()
        alice.add_note(None, "before", None)
        key = alice.export_unlock_key()
        self.assertEqual(len(key), 32)
        again = CarnetVault.open_with_unlock_key(alice.dir(), key)
        self.assertEqual(again.person_id(), alice.person_id())
        again.add_note(None, "written after an unlock by key", None)
        self.assertEqual(len(alice.list(None, Section.NOTES)), 2)
        alice.change_passphrase("second passphrase", CHEAP)
        with self.assertRaises(CarnetError.WrongPassphrase):
            CarnetVault.open(alice.dir(), "first passphrase")
        CarnetVault.open(alice.dir(), "second passphrase")
        # The unlock key survives a new passphrase.
        self.assertEqual(CarnetVault.open_with_unlock_key(alice.dir(), key).export_unlock_key(), key)

    def test_none_known(self):
        v = new_vault(self.root, "Bob").vault()
        v.add_none_known(None, Section.ALLERGIES)
        [e] = v.list(None, Section.ALLERGIES)
        self.assertEqual(e.kind, "none-known")

    def test_one_handle_shared_by_threads(self):
        v = new_vault(self.root, "Alice").vault()
        errors = []

        def writer(n):
            try:
                for i in range(5):
                    v.add_note(None, f"thread {n} note {i}", None)
                    v.list(None, Section.NOTES)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(v.list(None, Section.NOTES)), 20)


class Errors(unittest.TestCase):
    """Each failure an app meets arrives as its own exception class, with a stable code."""

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.root = cls._tmp.name
        cls.alice = new_vault(cls.root, "Alice").vault()
        cls.doctor = new_vault(cls.root, "Dr Martin", Role.CLINICIAN).vault()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def raises(self, cls, code, fn, *args):
        with self.assertRaises(cls) as cm:
            fn(*args)
        self.assertIsInstance(cm.exception, CarnetError)
        self.assertEqual(error_code(cm.exception), code)
        self.assertTrue(str(cm.exception))
        return cm.exception

    def test_wrong_passphrase(self):
        e = self.raises(CarnetError.WrongPassphrase, 1, CarnetVault.open, self.alice.dir(), "not it")
        self.assertNotIn("not it", str(e))

    def test_wrong_unlock_key(self):
        with tempfile.TemporaryDirectory() as root:
            v = new_vault(root, "Carol").vault()
            # Before any key was exported, there is nothing to check a key against.
            self.raises(CarnetError.NoUnlockKey, 18, CarnetVault.open_with_unlock_key, v.dir(), bytes(32))
            v.export_unlock_key()
            self.raises(CarnetError.WrongPassphrase, 1, CarnetVault.open_with_unlock_key, v.dir(), bytes(32))
        self.raises(CarnetError.InvalidInput, 4, CarnetVault.open_with_unlock_key, self.alice.dir(), bytes(5))

    def test_no_vault_and_already_exists(self):
        self.raises(CarnetError.NoVault, 2, CarnetVault.open, os.path.join(self.root, "nothing"), "p")
        self.raises(CarnetError.AlreadyExists, 3, create_vault, self.alice.dir(), "p", "Eve", Role.PATIENT, CHEAP)

    def test_bad_input(self):
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_condition, None, ConditionInput(name="Asthma", onset="last spring"))
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_allergy, None, AllergyInput(substance="Nuts", criticality="deadly"))
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_measurement, None, MeasurementInput(kind="blood-pressure", value="high", unit="mmHg"))
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_note, None, "   ", None)
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_entry_json, None, "{not json")
        self.raises(CarnetError.InvalidInput, 4, self.alice.add_contact, "Someone", "not a card")
        self.raises(CarnetError.InvalidInput, 4, self.alice.revoke, "not-a-grant")
        self.raises(CarnetError.InvalidInput, 4, create_vault, os.path.join(self.root, "weak"), "p", "Eve", Role.PATIENT, 3)

    def test_not_found_and_no_own_record(self):
        self.raises(CarnetError.NotFound, 5, self.alice.get, None, "zzzzzzzzzz")
        self.raises(CarnetError.NoOwnRecord, 9, self.doctor.own_record)

    def test_refused(self):
        self.raises(CarnetError.Refused, 10, self.alice.grant, "Nobody", [Section.NOTES], Access.READ, "care", None)

    def test_a_bundle_imported_twice(self):
        with tempfile.TemporaryDirectory() as root:
            a = new_vault(root, "Alice").vault()
            d = new_vault(root, "Dr Martin", Role.CLINICIAN).vault()
            a.add_contact("Dr Martin", d.card())
            d.add_contact("Alice", a.card())
            a.add_note(None, "shared", None)
            a.grant("Dr Martin", [Section.NOTES], Access.READ, "care", None)
            path = os.path.join(root, "b.carnet")
            a.export_bundle("Dr Martin", path, False)
            d.import_bundle(path)
            self.raises(CarnetError.AlreadyImported, 14, d.import_bundle, path)
            # Someone else's bundle: nothing is taken.
            other = new_vault(root, "Mallory", Role.CLINICIAN).vault()
            self.raises(CarnetError.Refused, 10, other.import_bundle, path)


if __name__ == "__main__":
    unittest.main()
