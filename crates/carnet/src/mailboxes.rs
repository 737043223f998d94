//! The mailboxes a person announces on their card: where they collect what others leave
//! them while they are offline (see the `carnet-mailbox` crate).

use carnet_crypto::{IdentityCard, PersonId};

use crate::vault::now_unix;
use crate::{Result, Vault};

impl Vault {
    /// The mailboxes where this vault's owner collects, as their card announces them
    /// (mailbox tickets).
    pub fn own_mailboxes(&self) -> Vec<String> {
        self.card().mailboxes().to_vec()
    }

    /// Re-issues the owner's card announcing `tickets` as the mailboxes where they
    /// collect (none: a card like the first). The new card is newer than the old, so the
    /// people this vault exchanges with next take it in place of the old one. On the
    /// device that holds the person's key.
    pub fn set_mailboxes(&self, tickets: Vec<String>) -> Result<IdentityCard> {
        self.require_primary()?;
        let card = IdentityCard::issue_with_mailboxes(
            self.me().secret()?,
            self.card().name(),
            self.card().role(),
            self.card().endpoints().to_vec(),
            now_unix().max(self.card().issued() + 1),
            tickets,
        )?;
        let mut txn = self.store.write()?;
        txn.put_meta("card", card.to_text().as_bytes())?;
        txn.commit()?;
        self.set_ident(|i| i.card = card.clone());
        Ok(card)
    }

    /// The newest card of `person` this vault holds (from a contact, a grant, a shared
    /// record, or an exchange), if any.
    pub fn newest_card_of(&self, person: &PersonId) -> Result<Option<IdentityCard>> {
        if *person == self.person_id() {
            return Ok(Some(self.card().clone()));
        }
        let mut texts: Vec<String> = self.card_book()?;
        texts.extend(self.contacts()?.into_iter().map(|c| c.card));
        if self.own_record().is_ok() {
            texts.extend(self.grants()?.into_iter().map(|g| g.grantee_card));
        }
        for p in self.patients()? {
            if let Some(card) = self.shared_view(&p.record, &p.id)?.patient_card() {
                texts.push(card.to_text());
            }
        }
        Ok(texts
            .iter()
            .filter_map(|t| IdentityCard::from_text(t).ok())
            .filter(|c| c.person_id() == *person)
            .max_by_key(|c| c.issued()))
    }

    /// The mailboxes `person` announced, on the newest card of theirs this vault holds.
    pub fn mailboxes_of(&self, person: &PersonId) -> Result<Vec<String>> {
        Ok(self
            .newest_card_of(person)?
            .map(|c| c.mailboxes().to_vec())
            .unwrap_or_default())
    }
}
