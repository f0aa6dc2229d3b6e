//! Sign-up, sign-in, sessions, supplier organisations and API tokens.
//!
//! Passwords are hashed with argon2id. Session and API tokens are 32 random bytes shown to
//! the client once; only their SHA-256 is stored, so a stolen database holds no usable token.

use crate::{Actor, Credential, ServiceError, ServiceResult, Services};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use daihuo_domain::account::{check_display_name, check_password, Role, Username};
use daihuo_domain::{ApiTokenId, SupplierId, UserId};
use daihuo_store::{self as store, now_ms, NewUser};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Prefix of session tokens, so a token says what it is in logs and leak scanners.
const SESSION_PREFIX: &str = "dhs_";
/// Prefix of supplier API tokens.
const API_TOKEN_PREFIX: &str = "dht_";
/// The longest token accepted; anything longer is not ours and is not hashed.
const TOKEN_MAX_BYTES: usize = 128;
/// The longest supplier name.
const SUPPLIER_NAME_MAX_CHARS: usize = 64;

/// A new account's details.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SignUp {
    /// Login name: 3–32 of a–z, 0–9, `_`, `-`.
    pub username: String,
    /// 8–128 characters.
    pub password: String,
    /// Name shown to others.
    pub display_name: String,
    /// `viewer` or `anchor`; supplier staff are made by an operator, operators from the CLI.
    pub role: Role,
}

/// A user as others may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Organisation of supplier staff.
    pub supplier_id: Option<SupplierId>,
}

impl From<store::UserRow> for UserView {
    fn from(row: store::UserRow) -> Self {
        UserView {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            supplier_id: row.supplier_id,
        }
    }
}

/// A fresh session.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionGrant {
    /// Bearer token; shown once.
    pub token: String,
    /// Unix milliseconds when it stops working.
    pub expires_at_ms: i64,
    /// Who signed in.
    pub user: UserView,
}

/// A new supplier organisation with its first staff account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSupplier {
    /// Organisation name, unique.
    pub name: String,
    /// Login of its first staff member.
    pub admin_username: String,
    /// Password of its first staff member.
    pub admin_password: String,
}

/// A created supplier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierCreated {
    /// The organisation.
    pub supplier_id: SupplierId,
    /// Its first staff member.
    pub admin: UserView,
}

/// A freshly made API token; the secret is shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiTokenGrant {
    /// Id, for revoking.
    pub id: ApiTokenId,
    /// Bearer secret.
    pub token: String,
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| internal(format!("hash password: {e}")))
    })
    .await
    .map_err(|e| internal(format!("hash task: {e}")))?
}

async fn verify_password(password: String, hash: String) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| internal(format!("stored hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| internal(format!("verify task: {e}")))?
}

fn internal(message: String) -> ServiceError {
    ServiceError::Internal(crate::error::anyhow_like::Internal(message))
}

/// A viewer made by [`Services::seed_viewers`], signed in, with one saved address.
#[derive(Debug, Clone)]
pub struct SeededViewer {
    /// The account.
    pub user_id: UserId,
    /// A sign-in session token for it.
    pub token: String,
    /// Its saved address.
    pub address_id: daihuo_domain::AddressId,
}

impl Services {
    /// Makes `count` viewers named `{prefix}{n}` in one transaction, each signed in and with
    /// `address` saved, all sharing `password` (hashed once). A trusted entry point for load
    /// benchmarks and the demo, which need thousands of buyers in seconds; the HTTP API goes
    /// through [`Services::sign_up`].
    pub async fn seed_viewers(
        &self,
        prefix: &str,
        count: usize,
        password: &str,
        address: &crate::checkout::AddressInput,
    ) -> ServiceResult<Vec<SeededViewer>> {
        check_password(password)?;
        let checked = daihuo_domain::address::Address::parse(
            &address.recipient,
            &address.phone,
            &address.county_code,
            &address.detail,
            |c| crate::catalog::locate(c.0).is_some(),
        )?;
        let password_hash = hash_password(password.to_owned()).await?;
        let now = now_ms();
        let expires = now + i64::try_from(self.config.session_ttl.as_millis()).unwrap_or(i64::MAX);
        let mut tx = self.store.begin_write().await?;
        let mut seeded = Vec::with_capacity(count);
        for n in 0..count {
            let username = Username::parse(&format!("{prefix}{n}"))?;
            let user = NewUser {
                username: username.as_str(),
                password_hash: &password_hash,
                role: Role::Viewer,
                display_name: username.as_str(),
                supplier_id: None,
            };
            let user_id = store::insert_user(tx.conn(), &user, now).await?;
            let token = random_token(SESSION_PREFIX);
            store::insert_session(tx.conn(), &token_hash(&token), user_id, now, expires).await?;
            let saved = daihuo_store::checkout::insert_address(
                tx.conn(),
                user_id,
                &checked.recipient,
                checked.phone.as_str(),
                checked.county.0,
                &checked.detail,
                now,
            )
            .await?;
            seeded.push(SeededViewer {
                user_id,
                token,
                address_id: saved.id,
            });
        }
        tx.commit().await?;
        Ok(seeded)
    }

    /// Makes an account of any role without an actor: for the CLI and for tests. The HTTP
    /// API goes through [`Services::sign_up`] and [`Services::create_supplier`].
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        display_name: &str,
        role: Role,
        supplier_id: Option<SupplierId>,
    ) -> ServiceResult<UserView> {
        let username = Username::parse(username)?;
        check_password(password)?;
        let display_name = check_display_name(display_name)?;
        if (role == Role::SupplierStaff) != supplier_id.is_some() {
            return Err(ServiceError::invalid(
                "invalid_role",
                "supplier staff, and only they, belong to a supplier",
            ));
        }
        let password_hash = hash_password(password.to_owned()).await?;
        let user = NewUser {
            username: username.as_str(),
            password_hash: &password_hash,
            role,
            display_name: &display_name,
            supplier_id,
        };
        let id = match store::insert_user(self.store.pool(), &user, now_ms()).await {
            Err(store::StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "username_taken",
                    "that username is taken",
                ))
            }
            other => other?,
        };
        Ok(UserView {
            id,
            username: username.as_str().to_owned(),
            display_name,
            role,
            supplier_id,
        })
    }

    /// Self-service sign-up for viewers and anchors.
    pub async fn sign_up(&self, input: SignUp) -> ServiceResult<UserView> {
        if !matches!(input.role, Role::Viewer | Role::Anchor) {
            return Err(ServiceError::invalid(
                "invalid_role",
                "only viewers and anchors sign up themselves",
            ));
        }
        self.create_user(
            &input.username,
            &input.password,
            &input.display_name,
            input.role,
            None,
        )
        .await
    }

    /// Signs in with a password and returns a session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> ServiceResult<SessionGrant> {
        let found = store::user_by_username(self.store.pool(), username).await?;
        let Some(user) = found else {
            // Spend the same time as a real check so that timing does not reveal usernames.
            let _ = verify_password(password.to_owned(), DUMMY_HASH.to_owned()).await;
            return Err(ServiceError::BadCredentials);
        };
        if !verify_password(password.to_owned(), user.password_hash.clone()).await? {
            return Err(ServiceError::BadCredentials);
        }
        let token = random_token(SESSION_PREFIX);
        let now = now_ms();
        let ttl_ms = i64::try_from(self.config.session_ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at_ms = now.saturating_add(ttl_ms);
        store::insert_session(
            self.store.pool(),
            &token_hash(&token),
            user.id,
            now,
            expires_at_ms,
        )
        .await?;
        Ok(SessionGrant {
            token,
            expires_at_ms,
            user: user.into(),
        })
    }

    /// Ends the session a token names.
    pub async fn sign_out(&self, token: &str) -> ServiceResult<()> {
        let hash = token_hash(token);
        store::delete_session(self.store.pool(), &hash).await?;
        self.signed_in.invalidate(&hash);
        Ok(())
    }

    /// Turns a bearer token (session or API token) into an actor.
    pub async fn authenticate(&self, token: &str) -> ServiceResult<Actor> {
        if token.len() > TOKEN_MAX_BYTES {
            return Err(ServiceError::Unauthenticated);
        }
        if token.starts_with(SESSION_PREFIX) {
            let hash = token_hash(token);
            if let Some(actor) = self.signed_in.get(&hash) {
                return Ok(actor);
            }
            let user = store::session_user(self.store.pool(), &hash, now_ms())
                .await?
                .ok_or(ServiceError::Unauthenticated)?;
            let actor = Actor {
                user_id: user.id,
                role: user.role,
                supplier_id: user.supplier_id,
                credential: Credential::Session,
            };
            self.signed_in.insert(hash, actor.clone());
            return Ok(actor);
        }
        if token.starts_with(API_TOKEN_PREFIX) {
            let (_, supplier_id, created_by) =
                store::api_token_owner(self.store.pool(), &token_hash(token))
                    .await?
                    .ok_or(ServiceError::Unauthenticated)?;
            return Ok(Actor {
                user_id: created_by,
                role: Role::SupplierStaff,
                supplier_id: Some(supplier_id),
                credential: Credential::ApiToken,
            });
        }
        Err(ServiceError::Unauthenticated)
    }

    /// The actor's own account.
    pub async fn me(&self, actor: &Actor) -> ServiceResult<UserView> {
        let user = store::user_by_id(self.store.pool(), actor.user_id)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        Ok(user.into())
    }

    /// An operator creates a supplier organisation and its first staff account.
    pub async fn create_supplier(
        &self,
        actor: &Actor,
        input: NewSupplier,
    ) -> ServiceResult<SupplierCreated> {
        actor.require_operator()?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > SUPPLIER_NAME_MAX_CHARS {
            return Err(ServiceError::invalid(
                "invalid_supplier_name",
                "supplier name must be 1 to 64 characters",
            ));
        }
        let username = Username::parse(&input.admin_username)?;
        check_password(&input.admin_password)?;
        let password_hash = hash_password(input.admin_password.clone()).await?;
        let mut tx = self.store.begin_write().await?;
        let now = now_ms();
        let supplier_id = match store::insert_supplier(tx.conn(), name, now).await {
            Err(store::StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "supplier_name_taken",
                    "a supplier with that name exists",
                ))
            }
            other => other?,
        };
        let user = NewUser {
            username: username.as_str(),
            password_hash: &password_hash,
            role: Role::SupplierStaff,
            display_name: name,
            supplier_id: Some(supplier_id),
        };
        let user_id = match store::insert_user(tx.conn(), &user, now).await {
            Err(store::StoreError::Conflict) => {
                return Err(ServiceError::conflict(
                    "username_taken",
                    "that username is taken",
                ))
            }
            other => other?,
        };
        tx.commit().await?;
        Ok(SupplierCreated {
            supplier_id,
            admin: UserView {
                id: user_id,
                username: username.as_str().to_owned(),
                display_name: name.to_owned(),
                role: Role::SupplierStaff,
                supplier_id: Some(supplier_id),
            },
        })
    }

    /// Supplier staff (signed in as a person) make an API token for their own systems.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
    ) -> ServiceResult<ApiTokenGrant> {
        let supplier_id = actor.require_supplier()?;
        if actor.credential != Credential::Session {
            // A token may not mint tokens: a leaked one must not be able to outlive its revocation.
            return Err(ServiceError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ServiceError::invalid(
                "invalid_token_name",
                "name must be 1 to 64 characters",
            ));
        }
        let token = random_token(API_TOKEN_PREFIX);
        let id = store::insert_api_token(
            self.store.pool(),
            supplier_id,
            &token_hash(&token),
            name,
            actor.user_id,
            now_ms(),
        )
        .await?;
        Ok(ApiTokenGrant { id, token })
    }

    /// Revokes one of the actor's organisation's API tokens.
    pub async fn revoke_api_token(&self, actor: &Actor, id: ApiTokenId) -> ServiceResult<()> {
        let supplier_id = actor.require_supplier()?;
        if store::revoke_api_token(self.store.pool(), supplier_id, id, now_ms()).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("api token"))
        }
    }
}

/// An argon2 hash of a random password, verified against when the username does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2H0r8eFP5x5Ywq0yCdtZq4Q2d3m8mC2C9S0uGvVf6u8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_and_hashed() {
        let token = random_token(SESSION_PREFIX);
        assert!(token.starts_with("dhs_"));
        assert_eq!(token.len(), 4 + 43);
        assert_eq!(token_hash(&token).len(), 64);
        assert_ne!(
            token_hash(&token),
            token_hash(&random_token(SESSION_PREFIX))
        );
    }
}
