/**
 * The Parapet HTTP API's types, generated from GET /api/v1/openapi.json by openapi-typescript.
 * Do not edit: run `npm run generate -w @parapet/api-client` after changing a route's schema
 * (packages/api-client/test/staleness.test.ts fails while this file is stale).
 */
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process answers. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: the database answers and every migration is applied. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status: string;
                            engine: string;
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/bootstrap/organisations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an organisation and its first admin (needs the bootstrap token). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        slug?: string;
                        admin_email: string;
                        admin_password: string;
                        admin_name?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tenant_id: string;
                            slug: string;
                            admin_id: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user, their roles, MFA freshness and CSRF token. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tenant_id: string;
                            user_id: string;
                            email: string;
                            roles: string[];
                            mfa_verified_at: string | null;
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in with organisation slug, email and password. With MFA enrolled the answer is state mfa_required and the session completes at /auth/mfa/verify. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        org: string;
                        email: string;
                        password: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {string} */
                            state: "authenticated" | "mfa_required" | "mfa_enrollment_required";
                            tenant_id: string;
                            user_id: string;
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Second factor of a login (TOTP code or recovery code); the session becomes full and its cookie rotates. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code?: string;
                        recovery_code?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description authenticated */
                            state: string;
                            csrf_token: string;
                            /** Format: date-time */
                            mfa_verified_at: string;
                            method: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/step-up": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Fresh MFA verification for step-up actions; the session cookie and CSRF token rotate. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code?: string;
                        recovery_code?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description authenticated */
                            state: string;
                            csrf_token: string;
                            /** Format: date-time */
                            mfa_verified_at: string;
                            method: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa/totp/enroll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start TOTP enrolment: a new secret and its otpauth URI (for a QR code). Confirm with a code. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            secret: string;
                            otpauth_uri: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa/totp/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm TOTP enrolment with a current code; answers the one-time recovery codes (shown once). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            recovery_codes: string[];
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa/totp": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove the TOTP authenticator and recovery codes (needs step-up). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa/recovery-codes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue new recovery codes, voiding the old ones (needs step-up). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            recovery_codes: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/mfa": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My MFA factors. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            factors: ({
                                /** @enum {string} */
                                type: "totp";
                                created_at: string;
                                confirmed_at: string | null;
                            } | {
                                /** @enum {string} */
                                type: "webauthn";
                                id: string;
                                name: string;
                                created_at: string;
                                confirmed_at: string;
                                last_used_at: string | null;
                            })[];
                            recovery_codes_remaining: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** My signed-in sessions. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            sessions: {
                                id: string;
                                current: boolean;
                                created_at: string;
                                last_seen_at: string;
                                expires_at: string;
                                ip: string | null;
                                user_agent: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End this session. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/logout-all": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign out everywhere: end every session of the signed-in user. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            ended: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's sign-in settings. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            step_up_max_age_seconds: number;
                            mfa_required: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Change the step-up age and whether MFA is required for everyone (admin, step-up). */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        step_up_max_age_seconds?: number;
                        mfa_required?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            step_up_max_age_seconds: number;
                            mfa_required: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/users/{id}/unlock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Clear a person's sign-in delays (password and second factor, from every address). Admin, step-up; audited. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user_id: string;
                            email: string;
                            cleared: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/webauthn/register/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Options for registering a passkey or security key (navigator.credentials.create). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rp: {
                                id?: string;
                                name: string;
                            };
                            user: {
                                id: string;
                                name: string;
                                displayName: string;
                            };
                            challenge: string;
                            pubKeyCredParams: {
                                alg: number;
                                /** @enum {string} */
                                type: "public-key";
                            }[];
                            timeout?: number;
                            excludeCredentials?: {
                                id: string;
                                /** @enum {string} */
                                type: "public-key";
                                transports?: string[];
                            }[];
                            authenticatorSelection?: {
                                authenticatorAttachment?: string;
                                residentKey?: string;
                                requireResidentKey?: boolean;
                                userVerification?: string;
                            };
                            hints?: string[];
                            attestation?: string;
                            attestationFormats?: string[];
                            /** WebAuthn client extension inputs */
                            extensions?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/webauthn/register/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Verify a registration and store the credential; answers recovery codes when the user had none. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** WebAuthn RegistrationResponseJSON */
                        response: {
                            [key: string]: unknown;
                        };
                        name?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            credential_id: string;
                            recovery_codes?: string[];
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/webauthn/authenticate/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Options for a WebAuthn assertion (second factor of a login, or step-up). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            challenge: string;
                            timeout?: number;
                            rpId?: string;
                            allowCredentials?: {
                                id: string;
                                /** @enum {string} */
                                type: "public-key";
                                transports?: string[];
                            }[];
                            userVerification?: string;
                            hints?: string[];
                            /** WebAuthn client extension inputs */
                            extensions?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/webauthn/authenticate/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Verify a WebAuthn assertion: completes a pending login or is a step-up; the session cookie rotates. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** WebAuthn AuthenticationResponseJSON */
                        response: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description authenticated */
                            state: string;
                            csrf_token: string;
                            /** Format: date-time */
                            mfa_verified_at: string;
                            method: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/webauthn/credentials/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove one of my passkeys or security keys (needs step-up). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/delegations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Delegations of app categories to users and groups. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            delegations: {
                                id: string;
                                grantee_type: string;
                                grantee_id: string;
                                category: string;
                                created_at: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Delegate an app category to a user or group (admin, step-up). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        grantee_type: "user" | "group";
                        grantee_id: string;
                        category: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            grantee_type: string;
                            grantee_id: string;
                            category: string;
                            created_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/auth/delegations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Remove a delegation (admin, step-up). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/checkpoint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The latest signed checkpoint (C2SP tlog-checkpoint signed note). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tree_size: number;
                            /** Format: byte */
                            root_hash: string;
                            key_id: string;
                            note: string;
                            /** Format: date-time */
                            created_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** How long audit snapshots are retained in the WORM vault. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            retention_months: number;
                            default_months?: number;
                            minimum_months?: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Change the audit snapshot retention (admin, step-up). At least 24 months. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        retention_months: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            retention_months: number;
                            default_months?: number;
                            minimum_months?: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Verify the log now: chain, Merkle tree, checkpoint signatures and witness cosignatures. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            verified: boolean;
                            /** @enum {string} */
                            state: "verified" | "nothing_to_verify" | "failed";
                            entries: number;
                            checkpoints: number;
                            cosignatures: number;
                            latest_checkpoint: {
                                tree_size: number;
                                created_at: string;
                                key_id: string;
                            } | null;
                            witnesses: string[];
                            first_bad_entry: number | null;
                            reason: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/checkpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign a checkpoint of the log as it is now (idempotent per tree size). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tree_size: number;
                            /** Format: byte */
                            root_hash: string;
                            key_id: string;
                            note: string;
                            /** Format: date-time */
                            created_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The log's public key as a signed-note verifier key. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            origin: string;
                            verifier_key: string;
                            key_id: string;
                            /** Format: byte */
                            public_key: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/entries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A range of entries with their exact leaf bytes. */
        get: {
            parameters: {
                query?: {
                    from?: number;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tree_size: number;
                            entries: {
                                seq: number;
                                /** Format: byte */
                                leaf: string;
                                prev_hash: string;
                                entry_hash: string;
                                record: {
                                    tenant_id: string;
                                    seq: number;
                                    at: string;
                                    actor: {
                                        /** @enum {string} */
                                        type: "user" | "device" | "system";
                                        id: string;
                                        name: string | null;
                                        ip: string | null;
                                        user_agent: string | null;
                                    };
                                    action: string;
                                    /** @enum {string} */
                                    outcome: "success" | "failure" | "denied";
                                    target: {
                                        type: string;
                                        id: string;
                                    } | null;
                                    purpose: string | null;
                                    /** Audit event details */
                                    details: {
                                        [key: string]: unknown;
                                    };
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/proof/inclusion": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** RFC 9162 inclusion proof of the entry at 0-based leaf index in the tree of tree_size entries. */
        get: {
            parameters: {
                query: {
                    index: number;
                    tree_size: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            leaf_index: number;
                            tree_size: number;
                            /** Format: byte */
                            leaf_hash: string;
                            /** Format: byte */
                            root_hash: string;
                            proof: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/proof/consistency": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** RFC 9162 consistency proof between tree sizes old and new. */
        get: {
            parameters: {
                query: {
                    old: number;
                    new: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            old: number;
                            new: number;
                            /** Format: byte */
                            old_root: string;
                            /** Format: byte */
                            new_root: string;
                            proof: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/snapshots": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Snapshots in the WORM vault. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            snapshots: {
                                from_seq: number;
                                to_seq: number;
                                object_key: string;
                                sha256: string;
                                /** Format: date-time */
                                retain_until: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Write new entries and their checkpoint to the WORM vault now (the daily job does the same). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description up_to_date */
                            status: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            from_seq: number;
                            to_seq: number;
                            object_key: string;
                            sha256: string;
                            /** Format: date-time */
                            retain_until: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The whole log for offline verification (parapet audit verify): entries with leaf bytes, checkpoints, log keys. Needs a fresh MFA. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            format: string;
                            tenant_id: string;
                            origin: string;
                            log_keys: string[];
                            entries: {
                                seq: number;
                                /** Format: byte */
                                leaf: string;
                                prev_hash: string;
                                entry_hash: string;
                                record: {
                                    tenant_id: string;
                                    seq: number;
                                    at: string;
                                    actor: {
                                        /** @enum {string} */
                                        type: "user" | "device" | "system";
                                        id: string;
                                        name: string | null;
                                        ip: string | null;
                                        user_agent: string | null;
                                    };
                                    action: string;
                                    /** @enum {string} */
                                    outcome: "success" | "failure" | "denied";
                                    target: {
                                        type: string;
                                        id: string;
                                    } | null;
                                    purpose: string | null;
                                    /** Audit event details */
                                    details: {
                                        [key: string]: unknown;
                                    };
                                };
                            }[];
                            checkpoints: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/ServiceProviderConfig": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** SCIM ServiceProviderConfig */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            documentationUri: string;
                            patch: {
                                supported: boolean;
                            };
                            bulk: {
                                supported: boolean;
                                maxOperations: number;
                                maxPayloadSize: number;
                            };
                            filter: {
                                supported: boolean;
                                maxResults: number;
                            };
                            changePassword: {
                                supported: boolean;
                            };
                            sort: {
                                supported: boolean;
                            };
                            etag: {
                                supported: boolean;
                            };
                            authenticationSchemes: {
                                type: string;
                                name: string;
                                description: string;
                                primary?: boolean;
                            }[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/ResourceTypes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** SCIM ResourceTypes */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            totalResults: number;
                            startIndex: number;
                            itemsPerPage: number;
                            Resources: {
                                schemas: string[];
                                id: string;
                                name: string;
                                endpoint: string;
                                schema: string;
                                schemaExtensions?: {
                                    schema: string;
                                    required: boolean;
                                }[];
                                meta: {
                                    resourceType: string;
                                    created?: string;
                                    lastModified?: string;
                                    location: string;
                                    version?: string;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Schemas": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** SCIM Schemas */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            totalResults: number;
                            startIndex: number;
                            itemsPerPage: number;
                            Resources: {
                                schemas: string[];
                                id: string;
                                name: string;
                                description: string;
                                attributes: {
                                    name: string;
                                    type: string;
                                    multiValued: boolean;
                                    required: boolean;
                                    caseExact: boolean;
                                    mutability: string;
                                    returned: string;
                                    uniqueness: string;
                                    referenceTypes?: string[];
                                    subAttributes?: {
                                        name: string;
                                        type: string;
                                        multiValued: boolean;
                                        required: boolean;
                                        caseExact: boolean;
                                        mutability: string;
                                        returned: string;
                                        uniqueness: string;
                                        referenceTypes?: string[];
                                    }[];
                                }[];
                                meta: {
                                    resourceType: string;
                                    created?: string;
                                    lastModified?: string;
                                    location: string;
                                    version?: string;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Schemas/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            name: string;
                            description: string;
                            attributes: {
                                name: string;
                                type: string;
                                multiValued: boolean;
                                required: boolean;
                                caseExact: boolean;
                                mutability: string;
                                returned: string;
                                uniqueness: string;
                                referenceTypes?: string[];
                                subAttributes?: {
                                    name: string;
                                    type: string;
                                    multiValued: boolean;
                                    required: boolean;
                                    caseExact: boolean;
                                    mutability: string;
                                    returned: string;
                                    uniqueness: string;
                                    referenceTypes?: string[];
                                }[];
                            }[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/ResourceTypes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            name: string;
                            endpoint: string;
                            schema: string;
                            schemaExtensions?: {
                                schema: string;
                                required: boolean;
                            }[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Users (filter, startIndex, count) */
        get: {
            parameters: {
                query?: {
                    filter?: string;
                    startIndex?: number;
                    count?: number;
                    attributes?: string;
                    excludedAttributes?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            totalResults: number;
                            startIndex: number;
                            itemsPerPage: number;
                            Resources: ({
                                schemas: string[];
                                id: string;
                                externalId?: string;
                                userName?: string;
                                name?: {
                                    formatted?: string;
                                    familyName?: string;
                                    givenName?: string;
                                    middleName?: string;
                                    honorificPrefix?: string;
                                    honorificSuffix?: string;
                                } & {
                                    [key: string]: unknown;
                                };
                                displayName?: string;
                                nickName?: string;
                                title?: string;
                                userType?: string;
                                preferredLanguage?: string;
                                locale?: string;
                                timezone?: string;
                                active?: boolean;
                                emails?: ({
                                    value?: string;
                                    display?: string;
                                    type?: string;
                                    primary?: boolean;
                                } & {
                                    [key: string]: unknown;
                                })[];
                                phoneNumbers?: ({
                                    value?: string;
                                    display?: string;
                                    type?: string;
                                    primary?: boolean;
                                } & {
                                    [key: string]: unknown;
                                })[];
                                groups?: ({
                                    value: string;
                                    display?: string;
                                } & {
                                    [key: string]: string;
                                })[];
                                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"?: {
                                    employeeNumber?: string;
                                    department?: string;
                                    costCenter?: string;
                                    organization?: string;
                                    division?: string;
                                    manager?: {
                                        value: string;
                                        displayName?: string;
                                    } & {
                                        [key: string]: string;
                                    };
                                } & {
                                    [key: string]: unknown;
                                };
                                meta: {
                                    resourceType: string;
                                    created?: string;
                                    lastModified?: string;
                                    location: string;
                                    version?: string;
                                };
                            } & {
                                [key: string]: unknown;
                            })[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            userName?: string;
                            name?: {
                                formatted?: string;
                                familyName?: string;
                                givenName?: string;
                                middleName?: string;
                                honorificPrefix?: string;
                                honorificSuffix?: string;
                            } & {
                                [key: string]: unknown;
                            };
                            displayName?: string;
                            nickName?: string;
                            title?: string;
                            userType?: string;
                            preferredLanguage?: string;
                            locale?: string;
                            timezone?: string;
                            active?: boolean;
                            emails?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            phoneNumbers?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            groups?: ({
                                value: string;
                                display?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"?: {
                                employeeNumber?: string;
                                department?: string;
                                costCenter?: string;
                                organization?: string;
                                division?: string;
                                manager?: {
                                    value: string;
                                    displayName?: string;
                                } & {
                                    [key: string]: string;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Users/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    attributes?: string;
                    excludedAttributes?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            userName?: string;
                            name?: {
                                formatted?: string;
                                familyName?: string;
                                givenName?: string;
                                middleName?: string;
                                honorificPrefix?: string;
                                honorificSuffix?: string;
                            } & {
                                [key: string]: unknown;
                            };
                            displayName?: string;
                            nickName?: string;
                            title?: string;
                            userType?: string;
                            preferredLanguage?: string;
                            locale?: string;
                            timezone?: string;
                            active?: boolean;
                            emails?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            phoneNumbers?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            groups?: ({
                                value: string;
                                display?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"?: {
                                employeeNumber?: string;
                                department?: string;
                                costCenter?: string;
                                organization?: string;
                                division?: string;
                                manager?: {
                                    value: string;
                                    displayName?: string;
                                } & {
                                    [key: string]: string;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            userName?: string;
                            name?: {
                                formatted?: string;
                                familyName?: string;
                                givenName?: string;
                                middleName?: string;
                                honorificPrefix?: string;
                                honorificSuffix?: string;
                            } & {
                                [key: string]: unknown;
                            };
                            displayName?: string;
                            nickName?: string;
                            title?: string;
                            userType?: string;
                            preferredLanguage?: string;
                            locale?: string;
                            timezone?: string;
                            active?: boolean;
                            emails?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            phoneNumbers?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            groups?: ({
                                value: string;
                                display?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"?: {
                                employeeNumber?: string;
                                department?: string;
                                costCenter?: string;
                                organization?: string;
                                division?: string;
                                manager?: {
                                    value: string;
                                    displayName?: string;
                                } & {
                                    [key: string]: string;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        post?: never;
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @example [
                         *       "urn:ietf:params:scim:api:messages:2.0:PatchOp"
                         *     ]
                         */
                        schemas?: string[];
                        Operations: ({
                            /** @example replace */
                            op: string;
                            path?: string;
                        } & {
                            [key: string]: unknown;
                        })[];
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            userName?: string;
                            name?: {
                                formatted?: string;
                                familyName?: string;
                                givenName?: string;
                                middleName?: string;
                                honorificPrefix?: string;
                                honorificSuffix?: string;
                            } & {
                                [key: string]: unknown;
                            };
                            displayName?: string;
                            nickName?: string;
                            title?: string;
                            userType?: string;
                            preferredLanguage?: string;
                            locale?: string;
                            timezone?: string;
                            active?: boolean;
                            emails?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            phoneNumbers?: ({
                                value?: string;
                                display?: string;
                                type?: string;
                                primary?: boolean;
                            } & {
                                [key: string]: unknown;
                            })[];
                            groups?: ({
                                value: string;
                                display?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"?: {
                                employeeNumber?: string;
                                department?: string;
                                costCenter?: string;
                                organization?: string;
                                division?: string;
                                manager?: {
                                    value: string;
                                    displayName?: string;
                                } & {
                                    [key: string]: string;
                                };
                            } & {
                                [key: string]: unknown;
                            };
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/scim/v2/Groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Groups (filter, startIndex, count) */
        get: {
            parameters: {
                query?: {
                    filter?: string;
                    startIndex?: number;
                    count?: number;
                    attributes?: string;
                    excludedAttributes?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            totalResults: number;
                            startIndex: number;
                            itemsPerPage: number;
                            Resources: {
                                schemas: string[];
                                id: string;
                                externalId?: string;
                                displayName?: string;
                                members?: ({
                                    value: string;
                                    display?: string;
                                    type?: string;
                                } & {
                                    [key: string]: string;
                                })[];
                                meta: {
                                    resourceType: string;
                                    created?: string;
                                    lastModified?: string;
                                    location: string;
                                    version?: string;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            displayName?: string;
                            members?: ({
                                value: string;
                                display?: string;
                                type?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/scim/v2/Groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get: {
            parameters: {
                query?: {
                    attributes?: string;
                    excludedAttributes?: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            displayName?: string;
                            members?: ({
                                value: string;
                                display?: string;
                                type?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            displayName?: string;
                            members?: ({
                                value: string;
                                display?: string;
                                type?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        post?: never;
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @example [
                         *       "urn:ietf:params:scim:api:messages:2.0:PatchOp"
                         *     ]
                         */
                        schemas?: string[];
                        Operations: ({
                            /** @example replace */
                            op: string;
                            path?: string;
                        } & {
                            [key: string]: unknown;
                        })[];
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            id: string;
                            externalId?: string;
                            displayName?: string;
                            members?: ({
                                value: string;
                                display?: string;
                                type?: string;
                            } & {
                                [key: string]: string;
                            })[];
                            meta: {
                                resourceType: string;
                                created?: string;
                                lastModified?: string;
                                location: string;
                                version?: string;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            schemas: string[];
                            status: string;
                            scimType?: string;
                            detail: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/scim/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** SCIM tokens of this tenant (never the secrets). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tokens: {
                                id: string;
                                name: string;
                                created_at: string;
                                last_used_at: string | null;
                                revoked_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Issue a SCIM bearer token for this tenant (shown once). Needs step-up. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            created_at: string;
                            last_used_at: string | null;
                            revoked_at: string | null;
                            token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/scim/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke a SCIM token at once. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/presets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** IdP presets. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            presets: {
                                id: string;
                                name: string;
                                scopes: string;
                                groups_claim: string | null;
                                notes: string;
                                issuer: {
                                    /** @enum {string} */
                                    kind: "fixed" | "directory" | "given";
                                    url?: string;
                                    template?: string;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This tenant's IdP configuration (never the secret). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            preset: string;
                            issuer: string;
                            client_id: string;
                            has_client_secret: boolean;
                            scopes: string;
                            groups_claim: string | null;
                            group_roles: {
                                [key: string]: string[];
                            };
                            default_roles: string[];
                            allowed_domains: string[];
                            jit_provisioning: boolean;
                            enabled: boolean;
                            redirect_uri: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Set the IdP (discovery is checked before saving). Needs step-up. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        preset: "entra" | "okta" | "google" | "jumpcloud" | "generic";
                        issuer?: string;
                        directory?: string;
                        client_id: string;
                        client_secret?: string;
                        scopes?: string;
                        groups_claim?: string | null;
                        group_roles?: {
                            [key: string]: ("admin" | "security_lead" | "operator" | "manager" | "employee" | "auditor")[];
                        };
                        default_roles?: ("admin" | "security_lead" | "operator" | "manager" | "employee" | "auditor")[];
                        allowed_domains?: string[];
                        jit_provisioning?: boolean;
                        enabled?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            preset: string;
                            issuer: string;
                            client_id: string;
                            has_client_secret: boolean;
                            scopes: string;
                            groups_claim: string | null;
                            group_roles: {
                                [key: string]: string[];
                            };
                            default_roles: string[];
                            allowed_domains: string[];
                            jit_provisioning: boolean;
                            enabled: boolean;
                            redirect_uri: string;
                            updated_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        /** Remove single sign-on. Needs step-up. */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's single sign-on options for the sign-in page (no configuration details). */
        get: {
            parameters: {
                query: {
                    org: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            providers: {
                                id: string;
                                name: string;
                                login_url: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Start a single sign-on login: redirects to the identity provider. */
        get: {
            parameters: {
                query: {
                    tenant: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                302: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/sso/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The identity provider returns here; on success a session cookie is set. */
        get: {
            parameters: {
                query?: {
                    state?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page that continues to the console. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/html": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
                /** @description Default Response */
                "5XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/enrollment-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a single-use enrollment token for an agent or worker; the token is shown only in this response. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {string} */
                        kind: "agent" | "worker";
                        /** @default 3600 */
                        expires_in_seconds?: number;
                        /** Format: uuid */
                        owner_user_id?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            token: string;
                            /** @enum {string} */
                            kind: "agent" | "worker";
                            expires_at: string;
                            server_pin: string | null;
                            server_ca_pem: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/enroll": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Enroll a device with a token; the request must be signed (RFC 9421, ed25519) by the key being enrolled. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        token: string;
                        /** @enum {string} */
                        kind: "agent" | "worker";
                        name: string;
                        public_key: string;
                        version?: string;
                        platform?: string;
                        /** @enum {string} */
                        key_store: "os" | "file";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            device_id: string;
                            tenant_id: string;
                            keyid: string;
                            /** @enum {string} */
                            kind: "agent" | "worker";
                            pins: {
                                current: string;
                                backup: string;
                            };
                            /** @description The person whose machine this is (the token's owner); null for a worker or an agent enrolled without one. */
                            owner_user_id: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/heartbeat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Device heartbeat (signed): records last seen, version, platform and key store. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        version?: string;
                        platform?: string;
                        /** @enum {string} */
                        key_store?: "os" | "file";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            device_id: string;
                            status: string;
                            server_time: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/pins": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Pin announcement (signed device request): the pins to hold, signed by the serving key. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            payload: string;
                            signature: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The fleet: every enrolled device with its status. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            devices: {
                                id: string;
                                /** @enum {string} */
                                kind: "agent" | "worker";
                                name: string;
                                /** @enum {string} */
                                status: "active" | "revoked";
                                enrolled_at: string;
                                revoked_at: string | null;
                                last_seen_at: string | null;
                                version: string | null;
                                platform: string | null;
                                key_store: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a device: its next signed request is refused. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description revoked */
                            status: string;
                            revoked_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/devices/self/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke this device (signed device request), e.g. before re-enrolling its machine. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @description revoked */
                            status: string;
                            revoked_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Registered scope-signing keys. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            name: string;
                            key_id: string;
                            user_id: string;
                            owner_email: string;
                            /** Format: date-time */
                            created_at: string;
                            /** Format: date-time */
                            revoked_at: string | null;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Register an Ed25519 scope-signing key (security lead, step-up MFA). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        public_key_pem: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            key_id: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/keys/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a scope-signing key (step-up MFA). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scopes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Uploaded scopes. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scope_id: string;
                            version: number;
                            name: string;
                            environment: string;
                            document: {
                                tenant: string;
                                id: string;
                                version: number;
                                name: string;
                                /** @enum {unknown} */
                                environment: "production" | "non-production";
                                include: string[];
                                exclude: string[];
                                ports: (number | string)[];
                                probe_types: ("tcp_connect" | "banner" | "tls" | "http_headers")[];
                                max_packets_per_second: number;
                                time_windows: {
                                    time_zone: string;
                                    allowed: {
                                        days: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                                        start: string;
                                        end: string;
                                    }[];
                                    blackouts: {
                                        start: string;
                                        end: string;
                                        reason?: string;
                                    }[];
                                };
                                valid_from: string;
                                valid_until: string;
                                expected_policy: {
                                    cidr: string;
                                    open_ports: number[];
                                }[];
                            };
                            signing_key: string;
                            uploaded_by: string;
                            /** Format: date-time */
                            uploaded_at: string;
                            /** Format: date-time */
                            valid_from: string;
                            /** Format: date-time */
                            valid_until: string;
                            /** Format: date-time */
                            revoked_at: string | null;
                            revoke_reason: string | null;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Upload a signed scope (DSSE envelope). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        envelope: {
                            payload: string;
                            payloadType: string;
                            signatures: {
                                keyid?: string;
                                sig: string;
                            }[];
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scope_id: string;
                            version: number;
                            environment: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scopes/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One scope with its envelope. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scope_id: string;
                            version: number;
                            name: string;
                            environment: string;
                            document: {
                                tenant: string;
                                id: string;
                                version: number;
                                name: string;
                                /** @enum {unknown} */
                                environment: "production" | "non-production";
                                include: string[];
                                exclude: string[];
                                ports: (number | string)[];
                                probe_types: ("tcp_connect" | "banner" | "tls" | "http_headers")[];
                                max_packets_per_second: number;
                                time_windows: {
                                    time_zone: string;
                                    allowed: {
                                        days: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                                        start: string;
                                        end: string;
                                    }[];
                                    blackouts: {
                                        start: string;
                                        end: string;
                                        reason?: string;
                                    }[];
                                };
                                valid_from: string;
                                valid_until: string;
                                expected_policy: {
                                    cidr: string;
                                    open_ports: number[];
                                }[];
                            };
                            signing_key: string;
                            uploaded_by: string;
                            /** Format: date-time */
                            uploaded_at: string;
                            /** Format: date-time */
                            valid_from: string;
                            /** Format: date-time */
                            valid_until: string;
                            /** Format: date-time */
                            revoked_at: string | null;
                            revoke_reason: string | null;
                            envelope: {
                                payload: string;
                                payloadType: string;
                                signatures: {
                                    keyid?: string;
                                    sig: string;
                                }[];
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scopes/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a scope; its queued and future scans stop. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            cancelled: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Scans, newest first. */
        get: {
            parameters: {
                query?: {
                    state?: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Request a scan; refused before queueing unless every target, port, probe, rate and the time are inside the scope. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        scope_id: string;
                        version: number;
                        targets: string[];
                        ports: number[];
                        probe_types: ("tcp_connect" | "banner" | "tls" | "http_headers")[];
                        rate_pps: number;
                        note?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One scan with its approvals. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve a scan (approver role, step-up MFA within 5 minutes, not the requester). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        comment?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/reject": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reject a scan; one rejection stops it. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        comment?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a scan that has not finished. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            /** @enum {string} */
                            state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                            scope: {
                                id: string;
                                scope_id: string;
                                version: number;
                                environment: string;
                            };
                            requested_by: string;
                            targets: string[];
                            addresses: string[];
                            ports: number[];
                            probe_types: string[];
                            rate_pps: number;
                            approvals_required: number;
                            approvals: {
                                user_id: string;
                                email: string;
                                decision: string;
                                created_at: string;
                            }[];
                            note: string;
                            created_at: string;
                            updated_at: string;
                            expires_at: string;
                            queued_at: string | null;
                            leases: {
                                device_id: string;
                                leased_at: string;
                                ended_at: string | null;
                                end_reason: string | null;
                                safety_profile_version: number | null;
                                safety_profile_sha256: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/approver-groups/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Put a user in an approver group (null removes them). */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    userId: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        group: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/approver-groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Approver groups. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user_id: string;
                            email: string;
                            group_name: string;
                            /** Format: date-time */
                            updated_at: string;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/report-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's report signing key (Ed25519 SPKI PEM), its DSSE key id and fingerprint. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            key_id: string;
                            fingerprint: string;
                            public_key_pem: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A finished scan's report: verdict, counts and digests (generated on first request if the job has not yet). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            scan_id: string;
                            scope_id: string;
                            /** @enum {string} */
                            verdict: "pass" | "fail";
                            findings_open: {
                                [key: string]: number;
                            };
                            pdf_sha256: string;
                            bundle_sha256: string;
                            key_id: string;
                            /** Format: date-time */
                            created_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/report.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed report: a DSSE envelope holding an in-toto Statement v1. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The DSSE envelope. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            payload: string;
                            payloadType: string;
                            signatures: {
                                keyid?: string;
                                sig: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/report.pdf": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The report PDF (its SHA-256 is a subject of the signed statement). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The report PDF. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/pdf": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Reports, newest first, optionally of one scope (its text id, across versions), with open findings by severity for trends. */
        get: {
            parameters: {
                query?: {
                    scope_id?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            scan_id: string;
                            scope_id: string;
                            /** @enum {string} */
                            verdict: "pass" | "fail";
                            findings_open: {
                                [key: string]: number;
                            };
                            pdf_sha256: string;
                            bundle_sha256: string;
                            key_id: string;
                            /** Format: date-time */
                            created_at: string;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/endpoints": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Webhook endpoints (no secrets). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            description: string;
                            events: string[];
                            enabled: boolean;
                            disabled_reason: string | null;
                            created_at: string;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Create a webhook endpoint (admin, step-up). The answer carries the signing secret; it is never shown again. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        url: string;
                        description?: string;
                        events?: ("probe.scan.requested" | "probe.scan.approved" | "probe.scan.rejected" | "probe.scan.started" | "probe.scan.progressed" | "probe.scan.finished" | "probe.finding.opened" | "probe.finding.resolved" | "audit.integrity.failed" | "governance.anomaly.detected" | "webhook.test.sent" | "audit.integrity_alert" | "probe.scan.progress" | "webhook.test")[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            description: string;
                            events: string[];
                            enabled: boolean;
                            disabled_reason: string | null;
                            created_at: string;
                            secret: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/endpoints/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete an endpoint and its delivery log (admin, step-up). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change or re-enable an endpoint (admin, step-up). */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        url?: string;
                        description?: string;
                        events?: ("probe.scan.requested" | "probe.scan.approved" | "probe.scan.rejected" | "probe.scan.started" | "probe.scan.progressed" | "probe.scan.finished" | "probe.finding.opened" | "probe.finding.resolved" | "audit.integrity.failed" | "governance.anomaly.detected" | "webhook.test.sent" | "audit.integrity_alert" | "probe.scan.progress" | "webhook.test")[];
                        enabled?: boolean;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            url: string;
                            description: string;
                            events: string[];
                            enabled: boolean;
                            disabled_reason: string | null;
                            created_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/v1/webhooks/endpoints/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a signed test event to the endpoint now and report the attempt (admin, step-up). A redirect or refused target is a 422 with its code. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            message_id: string;
                            delivered: boolean;
                            status: number | null;
                            latency_ms: number;
                            response_snippet: string;
                            error_code: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/endpoints/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Delivery log: messages of the endpoint, newest first, each with its attempts (status, latency, response snippet). */
        get: {
            parameters: {
                query?: {
                    state?: "pending" | "delivered" | "dead" | "cancelled";
                    limit?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            event_type: string;
                            state: string;
                            next_attempt_at: string | null;
                            created_at: string;
                            finished_at: string | null;
                            last_error: string | null;
                            attempts: {
                                n: number;
                                at: string;
                                status: number | null;
                                latency_ms: number;
                                response_snippet: string;
                                error_code: string | null;
                            }[];
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/messages/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay a dead (or cancelled) message: same webhook-id and body, a fresh retry schedule (admin, step-up). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            state: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/webhooks/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Private address ranges an admin allowed as webhook targets. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            allow_private_cidrs: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Allow private, loopback or other non-public ranges as webhook targets (admin, step-up). Empty: public addresses only. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        allow_private_cidrs: string[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            allow_private_cidrs: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/evidence-exports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Request an export of a scan's evidence (step-up). Production scopes then need two approvals; others are approved at once. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scan_id: string;
                            requested_by: string;
                            /** @enum {string} */
                            state: "requested" | "approved";
                            approvals_required: number;
                            approvals: number;
                            created_at: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/evidence-exports/{id}/approve": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Approve an evidence export of a production scope (lead or admin, not the requester, step-up MFA). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scan_id: string;
                            requested_by: string;
                            /** @enum {string} */
                            state: "requested" | "approved";
                            approvals_required: number;
                            approvals: number;
                            created_at: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/evidence-exports/{id}/urls": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Signed download URLs (5 minutes) for the evidence bundle and every object of an approved export (the requester, step-up). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": Record<string, unknown>;
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            expires_at: string;
                            bundle: {
                                key: string;
                                url: string;
                            };
                            objects: {
                                key: string;
                                sha256: string;
                                size: number;
                                url: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/evidence/download": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Download one evidence object or the bundle by signed URL (valid 5 minutes). */
        get: {
            parameters: {
                query: {
                    t: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The object. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/octet-stream": string;
                        "application/json": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/jobs/lease": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Lease the oldest queued scan job of this worker's organisation (signed device request); 204 when there is none. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        lease_seconds?: number;
                        safety_profile?: {
                            version: number;
                            sha256: string;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            lease_id: string;
                            lease_expires_at: string;
                            scan: {
                                id: string;
                                /** @enum {string} */
                                state: "requested" | "approved" | "queued" | "leased" | "running" | "finished" | "failed" | "cancelled" | "rejected" | "expired";
                                scope: {
                                    id: string;
                                    scope_id: string;
                                    version: number;
                                    environment: string;
                                };
                                requested_by: string;
                                targets: string[];
                                addresses: string[];
                                ports: number[];
                                probe_types: string[];
                                rate_pps: number;
                                approvals_required: number;
                                approvals: {
                                    user_id: string;
                                    email: string;
                                    decision: string;
                                    created_at: string;
                                }[];
                                note: string;
                                created_at: string;
                                updated_at: string;
                                expires_at: string;
                                queued_at: string | null;
                                leases: {
                                    device_id: string;
                                    leased_at: string;
                                    ended_at: string | null;
                                    end_reason: string | null;
                                    safety_profile_version: number | null;
                                    safety_profile_sha256: string | null;
                                }[];
                            };
                            envelope: {
                                payload: string;
                                payloadType: string;
                                signatures: {
                                    keyid?: string;
                                    sig: string;
                                }[];
                            };
                            signing_keys: {
                                key_id: string;
                                public_key_pem: string;
                            }[];
                            done: {
                                address: string;
                                port: number;
                                probe_type: string;
                                outcome: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/jobs/{lease}/renew": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Extend a live lease (and report the planned probe count for progress). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    lease: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        lease_seconds?: number;
                        planned_probes?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            lease_expires_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/jobs/{lease}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Report a batch of probe results with their transcripts; idempotent by batch_id. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    lease: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uuid */
                        batch_id: string;
                        results: {
                            target: string;
                            address: string;
                            port: number;
                            /** @enum {unknown} */
                            probe_type: "tcp_connect" | "banner" | "tls" | "http_headers";
                            /** @enum {unknown} */
                            outcome: "open" | "closed" | "filtered" | "inconclusive" | "ok" | "no_data" | "error" | "refused";
                            reason: string;
                            /** Format: date-time */
                            started_at: string;
                            duration_ms: number;
                            observed: Record<string, unknown>;
                            transcript: Record<string, unknown>;
                            transcript_sha256: string;
                        }[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            accepted: number;
                            duplicates: number;
                            replayed: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/jobs/{lease}/finish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Finish the job (findings are derived) or mark it failed. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    lease: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {unknown} */
                        outcome: "finished" | "failed";
                        reason?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            state: string;
                            findings: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/jobs/{lease}/refuse": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** The worker's own checks refused the job; nothing was sent. The scan fails and the refusal is audited. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    lease: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        code: string;
                        detail: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/results": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A scan's probe results. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            target: string;
                            address: string;
                            port: number;
                            probe_type: string;
                            outcome: string;
                            reason: string;
                            started_at: string;
                            duration_ms: number;
                            /** Probe observation */
                            observed: {
                                [key: string]: unknown;
                            };
                            device_id: string;
                            evidence_id: string | null;
                            evidence_sha256: string | null;
                            received_at: string;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/progress": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Planned and done probes, first and last result time. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            planned: number;
                            done: number;
                            /** Format: date-time */
                            first_at: string | null;
                            /** Format: date-time */
                            last_at: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/findings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Findings with first seen, last seen and resolved, most severe first. */
        get: {
            parameters: {
                query?: {
                    scope_id?: string;
                    scan_id?: string;
                    status?: "open" | "resolved";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            scope_id: string;
                            kind: string;
                            /** @enum {string} */
                            severity: "info" | "low" | "medium" | "high" | "critical";
                            address: string;
                            port: number;
                            title: string;
                            /** Finding detail */
                            detail: {
                                [key: string]: unknown;
                            };
                            /** @enum {string} */
                            status: "open" | "resolved";
                            /** Format: date-time */
                            first_seen_at: string;
                            /** Format: date-time */
                            last_seen_at: string;
                            /** Format: date-time */
                            resolved_at: string | null;
                            first_scan_id: string;
                            last_scan_id: string;
                            resolved_scan_id: string | null;
                            last_result_id: string;
                            evidence_id: string | null;
                            evidence_sha256: string | null;
                            times_seen: number;
                        }[];
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/evidence/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One evidence transcript, decrypted and checked against its SHA-256 (audited). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            sha256: string;
                            object_key: string;
                            /** Probe transcript */
                            transcript: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/probe/scans/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Server-sent events: snapshot, then results, state and findings as they happen. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description An event stream. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/people": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's people: email, name, roles and status (admin, security lead, auditor). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            people: {
                                id: string;
                                email: string;
                                display_name: string;
                                roles: string[];
                                status: string;
                                created_at: string;
                                /** @enum {string|null} */
                                roles_managed_by: "sso" | "scim" | null;
                            }[];
                            truncated: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/people/{id}/roles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Set a person's roles (admin, step-up). Not your own; not removing the last admin; not roles an identity provider manages. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        roles: ("admin" | "security_lead" | "operator" | "manager" | "employee" | "auditor")[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            email: string;
                            roles: string[];
                            previous_roles: string[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/people/invitations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Invitations, newest first (admin, auditor). Tokens are never shown again. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            invitations: {
                                id: string;
                                email: string;
                                roles: string[];
                                created_at: string;
                                expires_at: string;
                                accepted_at: string | null;
                                revoked_at: string | null;
                                /** @enum {string} */
                                status: "open" | "accepted" | "expired" | "revoked";
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Invite someone (admin, step-up). Without a mail relay: answers a one-time link, shown only in this answer, to pass on. With PARAPET_SMTP_URL: mails the link to the invitee and answers emailed_to (or the link and email_error if the relay failed). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        roles?: ("admin" | "security_lead" | "operator" | "manager" | "employee" | "auditor")[];
                        expires_in_seconds?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            invitation: {
                                id: string;
                                email: string;
                                roles: string[];
                                created_at: string;
                                expires_at: string;
                                accepted_at: string | null;
                                revoked_at: string | null;
                                /** @enum {string} */
                                status: "open" | "accepted" | "expired" | "revoked";
                            };
                            token?: string;
                            link?: string;
                            emailed_to?: string;
                            email_error?: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/people/invitations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an open invitation (admin, step-up). */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations/lookup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** What an invitation is for (organisation, email, roles, expiry); 410 when it cannot be used. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        token: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            org_name: string;
                            org_slug: string;
                            email: string;
                            roles: string[];
                            expires_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/invitations/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept an invitation: set a password; the answer opens a session (state mfa_enrollment_required for admins, security leads, or when the organisation requires MFA). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        token: string;
                        password: string;
                        display_name?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description authenticated or mfa_enrollment_required */
                            state: string;
                            tenant_id: string;
                            user_id: string;
                            org_slug: string;
                            email: string;
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/audit/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit entries, newest first. actor: email or id contains; action: prefix; target: type, id or type:id contains; since/until: ISO times. */
        get: {
            parameters: {
                query?: {
                    actor?: string;
                    action?: string;
                    target?: string;
                    outcome?: "success" | "failure" | "denied";
                    since?: string;
                    until?: string;
                    before_seq?: number;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            entries: {
                                seq: number;
                                at: string;
                                actor_type: string;
                                actor_id: string;
                                actor_name: string | null;
                                ip: string | null;
                                user_agent: string | null;
                                action: string;
                                target_type: string | null;
                                target_id: string | null;
                                purpose: string | null;
                                outcome: string;
                                /** Audit event details */
                                details: {
                                    [key: string]: unknown;
                                };
                            }[];
                            next_before_seq: number | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organisation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user's organisation. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            slug: string;
                            name: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/organisation/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The organisation's settings: the longest support grant an admin may open (hours), with its default and bounds. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            support_grant_max_hours: number;
                            support_grant_max_hours_default: number;
                            support_grant_max_hours_minimum: number;
                            support_grant_max_hours_maximum: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Change the organisation settings (admin, step-up; audited). Grants already open keep their end. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Longest support grant an admin may open, in hours (1 to 336; default 72). */
                        support_grant_max_hours?: number;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            support_grant_max_hours: number;
                            support_grant_max_hours_default: number;
                            support_grant_max_hours_minimum: number;
                            support_grant_max_hours_maximum: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/reviews": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Access reviews, newest first. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            reviews: {
                                id: string;
                                title: string;
                                opened_at: string;
                                opened_by: string;
                                due_at: string;
                                reviewers: string[];
                                /** @enum {unknown} */
                                status: "open" | "signed_off";
                                overdue: boolean;
                                signed_off_at: string | null;
                                signed_off_by: string | null;
                                counts: {
                                    total: number;
                                    pending: number;
                                    confirmed: number;
                                    revoked: number;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Open an access review now (admin, step-up): every role holder, delegation, SCIM token, SSO configuration, signing key, approver-group membership and device, to confirm or revoke. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        title: string;
                        reviewers?: string[];
                        /** Format: date-time */
                        due_at?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            title: string;
                            opened_at: string;
                            opened_by: string;
                            due_at: string;
                            reviewers: string[];
                            /** @enum {unknown} */
                            status: "open" | "signed_off";
                            overdue: boolean;
                            signed_off_at: string | null;
                            signed_off_by: string | null;
                            counts: {
                                total: number;
                                pending: number;
                                confirmed: number;
                                revoked: number;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/reviews/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One access review with its lines. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            review: {
                                id: string;
                                title: string;
                                opened_at: string;
                                opened_by: string;
                                due_at: string;
                                reviewers: string[];
                                /** @enum {unknown} */
                                status: "open" | "signed_off";
                                overdue: boolean;
                                signed_off_at: string | null;
                                signed_off_by: string | null;
                                counts: {
                                    total: number;
                                    pending: number;
                                    confirmed: number;
                                    revoked: number;
                                };
                            };
                            items: {
                                id: number;
                                /** @enum {unknown} */
                                kind: "role" | "delegation" | "scim_token" | "sso_config" | "signing_key" | "approver_group" | "support_grant" | "device";
                                subject_id: string;
                                label: string;
                                detail: {
                                    user_id?: string;
                                    email?: string;
                                    role?: string;
                                    grantee_type?: string;
                                    grantee_id?: string;
                                    category?: string;
                                    name?: string;
                                    last_used_at?: string | null;
                                    preset?: string;
                                    issuer?: string;
                                    client_id?: string;
                                    key_id?: string;
                                    owner?: string;
                                    group?: string;
                                    ticket?: string;
                                    scope?: string;
                                    expires_at?: string;
                                    kind?: string;
                                    last_seen_at?: string | null;
                                };
                                /** @enum {unknown} */
                                decision: "pending" | "confirmed" | "revoked";
                                decided_by: string | null;
                                decided_at: string | null;
                                note: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/reviews/{id}/items/{item}/decision": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm or revoke one line (a named reviewer, step-up). Revoking removes the access at once. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                    item: number;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @enum {unknown} */
                        decision: "confirmed" | "revoked";
                        note?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: number;
                            /** @enum {unknown} */
                            kind: "role" | "delegation" | "scim_token" | "sso_config" | "signing_key" | "approver_group" | "support_grant" | "device";
                            subject_id: string;
                            label: string;
                            detail: {
                                user_id?: string;
                                email?: string;
                                role?: string;
                                grantee_type?: string;
                                grantee_id?: string;
                                category?: string;
                                name?: string;
                                last_used_at?: string | null;
                                preset?: string;
                                issuer?: string;
                                client_id?: string;
                                key_id?: string;
                                owner?: string;
                                group?: string;
                                ticket?: string;
                                scope?: string;
                                expires_at?: string;
                                kind?: string;
                                last_seen_at?: string | null;
                            };
                            /** @enum {unknown} */
                            decision: "pending" | "confirmed" | "revoked";
                            decided_by: string | null;
                            decided_at: string | null;
                            note: string | null;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/reviews/{id}/sign-off": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign off a fully decided review (a named reviewer, step-up); answers the signed evidence (DSSE, signed with the audit log key). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            envelope: {
                                payloadType: string;
                                payload: string;
                                signatures: {
                                    keyid: string;
                                    sig: string;
                                }[];
                            };
                            key_id: string;
                            public_key_pem: string;
                            payload_type: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/reviews/{id}/evidence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed evidence of a signed-off review (DSSE envelope). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            payloadType: string;
                            payload: string;
                            signatures: {
                                keyid: string;
                                sig: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Anomaly alerts: actors far beyond their data-access baseline (the console banner). */
        get: {
            parameters: {
                query?: {
                    open?: boolean;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            alerts: {
                                id: string;
                                actor_type: string;
                                actor_id: string;
                                actor_name: string | null;
                                count: number;
                                median: number;
                                p99: number;
                                floor: number;
                                window_start: string;
                                detected_at: string;
                                acknowledged_at: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/alerts/{id}/acknowledge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Acknowledge an anomaly alert (it leaves the banner; the audit entry stays). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/governance/erasures": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Erasure requests and what each removed (evidence for a data-protection authority). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            erasures: {
                                id: string;
                                subject_id: string;
                                reason: string;
                                requested_at: string;
                                completed_at: string | null;
                                report: {
                                    request_id?: string;
                                    subject_id?: string;
                                    deleted?: {
                                        [key: string]: number;
                                    };
                                    nullified?: {
                                        [key: string]: number;
                                    };
                                    kept?: string[];
                                    subject_key_destroyed?: boolean;
                                };
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Erase a person (admin, step-up): their activity data, devices, sessions, factors and identity go; their audit entries stay verifiable with their personal fields crypto-shredded. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        user_id: string;
                        reason: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            request_id: string;
                            subject_id: string;
                            deleted: {
                                [key: string]: number;
                            };
                            nullified: {
                                [key: string]: number;
                            };
                            kept: string[];
                            subject_key_destroyed: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/grants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Support grants of this organisation, newest first, with the live support sessions of each. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            max_hours: number;
                            grants: {
                                id: string;
                                reason: string;
                                ticket: string;
                                /** @enum {unknown} */
                                scope: "read_only" | "read_write";
                                created_by: string;
                                created_at: string;
                                expires_at: string;
                                revoked_at: string | null;
                                /** @enum {unknown} */
                                status: "open" | "expired" | "revoked";
                                sessions: {
                                    id: string;
                                    staff_email: string;
                                    created_at: string;
                                    last_seen_at: string;
                                    ip: string | null;
                                }[];
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        /** Open a support grant (admin, step-up): vendor support may sign in to this organisation until it expires or is revoked; every request they make is in this organisation's audit log. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        reason: string;
                        ticket: string;
                        hours: number;
                        /** @enum {unknown} */
                        scope: "read_only" | "read_write";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            reason: string;
                            ticket: string;
                            /** @enum {unknown} */
                            scope: "read_only" | "read_write";
                            created_by: string;
                            created_at: string;
                            expires_at: string;
                            revoked_at: string | null;
                            /** @enum {unknown} */
                            status: "open" | "expired" | "revoked";
                            sessions: {
                                id: string;
                                staff_email: string;
                                created_at: string;
                                last_seen_at: string;
                                ip: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/grants/{id}/revoke": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a support grant (admin): its support sessions end at once. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            reason: string;
                            ticket: string;
                            /** @enum {unknown} */
                            scope: "read_only" | "read_write";
                            created_by: string;
                            created_at: string;
                            expires_at: string;
                            revoked_at: string | null;
                            /** @enum {unknown} */
                            status: "open" | "expired" | "revoked";
                            sessions: {
                                id: string;
                                staff_email: string;
                                created_at: string;
                                last_seen_at: string;
                                ip: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/enrol/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Vendor support: registration options for a security key, with the operator's one-time enrolment code. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        code: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            rp: {
                                id?: string;
                                name: string;
                            };
                            user: {
                                id: string;
                                name: string;
                                displayName: string;
                            };
                            challenge: string;
                            pubKeyCredParams: {
                                alg: number;
                                /** @enum {string} */
                                type: "public-key";
                            }[];
                            timeout?: number;
                            excludeCredentials?: {
                                id: string;
                                /** @enum {string} */
                                type: "public-key";
                                transports?: string[];
                            }[];
                            authenticatorSelection?: {
                                authenticatorAttachment?: string;
                                residentKey?: string;
                                requireResidentKey?: boolean;
                                userVerification?: string;
                            };
                            hints?: string[];
                            attestation?: string;
                            attestationFormats?: string[];
                            /** WebAuthn client extension inputs */
                            extensions?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/enrol/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Vendor support: store the security key; the enrolment code is used up. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email: string;
                        code: string;
                        /** WebAuthn RegistrationResponseJSON */
                        response: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            credential_id: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/auth/options": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Vendor support sign-in, step 1: assertion options for the member’s security keys, or without an e-mail for a discoverable key that names its member (there is no password sign-in). */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        email?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            challenge: string;
                            timeout?: number;
                            rpId?: string;
                            allowCredentials?: {
                                id: string;
                                /** @enum {string} */
                                type: "public-key";
                                transports?: string[];
                            }[];
                            userVerification?: string;
                            hints?: string[];
                            /** WebAuthn client extension inputs */
                            extensions?: {
                                [key: string]: unknown;
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/auth/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Vendor support sign-in, step 2: a security-key assertion plus the customer's organisation and open grant; answers a support session pinned to that grant. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        org: string;
                        grant_id: string;
                        /** WebAuthn AuthenticationResponseJSON */
                        response: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            csrf_token: string;
                            tenant_id: string;
                            grant_id: string;
                            scope: string;
                            expires_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The support session: its organisation, grant (ticket, reason), scope, end, and the session's CSRF token (so a reloaded console page can act). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            tenant_id: string;
                            org: string;
                            org_name: string;
                            grant_id: string;
                            scope: string;
                            expires_at: string;
                            staff_email: string;
                            ticket: string;
                            reason: string;
                            csrf_token: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** End the support session. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/tenant/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Support session (read): the organisation's people, their roles and status. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            users: {
                                id: string;
                                email: string;
                                roles: string[];
                                status: string;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/support/tenant/users/{id}/unlock": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Support session (read_write grants only): clear a person's sign-in delays. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            user_id: string;
                            cleared: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/batches": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload a Pulse batch (signed agent request). Idempotent by batch_id and interval id. */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            batch_id: string;
                            received_at: string;
                            intervals: number;
                            accepted: number;
                            duplicates: number;
                            merged: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's Pulse policy as a DSSE envelope signed with the tenant's policy key (signed agent request). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            envelope: {
                                payload: string;
                                payloadType: string;
                                signatures: {
                                    keyid: string;
                                    sig: string;
                                }[];
                            };
                            key_id: string;
                            public_key_pem: string;
                            version: number;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/policy/key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's policy-signing public key (signed agent request or a signed-in person). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            key_id: string;
                            public_key_pem: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's Pulse settings (admins and auditors). */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            policy: {
                                categories: {
                                    key: string;
                                    name: string;
                                }[];
                                rules: {
                                    category: string;
                                    app?: string;
                                    title?: string;
                                    domain?: string;
                                }[];
                                idle_timeout_seconds: number;
                                allow_local_categories: boolean;
                                scrub_names: string[];
                            };
                            policy_version: number;
                            purposes: {
                                key: string;
                                name: string;
                                grants: {
                                    /** @enum {unknown} */
                                    role: "employee" | "manager" | "delegate";
                                    /** @enum {unknown} */
                                    level: "person" | "team" | "org";
                                    /** @enum {unknown} */
                                    period: "day" | "week";
                                }[];
                            }[];
                            k_min: number;
                            detail_retention_days: number;
                            rollup_retention_days: number;
                            work_hours: {
                                start_hour: number;
                                end_hour: number;
                                days: number[];
                            };
                            dp_epsilon: number | null;
                            dp_budget: number;
                            /** @enum {unknown} */
                            dp_budget_period: "day" | "week" | "month";
                            updated_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        /** Change Pulse settings (admins, fresh MFA): policy, purposes, k, retention, work hours. The policy version goes up by one. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        categories?: {
                            key: string;
                            name: string;
                        }[];
                        rules?: {
                            category: string;
                            app?: string;
                            title?: string;
                            domain?: string;
                        }[];
                        idle_timeout_seconds?: number;
                        allow_local_categories?: boolean;
                        scrub_names?: string[];
                        purposes?: {
                            key: string;
                            name: string;
                            grants: {
                                /** @enum {unknown} */
                                role: "employee" | "manager" | "delegate";
                                /** @enum {unknown} */
                                level: "person" | "team" | "org";
                                /** @enum {unknown} */
                                period: "day" | "week";
                            }[];
                        }[];
                        k_min?: number;
                        dp_epsilon?: number | null;
                        dp_budget?: number;
                        /** @enum {unknown} */
                        dp_budget_period?: "day" | "week" | "month";
                        detail_retention_days?: number;
                        rollup_retention_days?: number;
                        work_hours?: {
                            start_hour: number;
                            end_hour: number;
                            days: number[];
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            policy: {
                                categories: {
                                    key: string;
                                    name: string;
                                }[];
                                rules: {
                                    category: string;
                                    app?: string;
                                    title?: string;
                                    domain?: string;
                                }[];
                                idle_timeout_seconds: number;
                                allow_local_categories: boolean;
                                scrub_names: string[];
                            };
                            policy_version: number;
                            purposes: {
                                key: string;
                                name: string;
                                grants: {
                                    /** @enum {unknown} */
                                    role: "employee" | "manager" | "delegate";
                                    /** @enum {unknown} */
                                    level: "person" | "team" | "org";
                                    /** @enum {unknown} */
                                    period: "day" | "week";
                                }[];
                            }[];
                            k_min: number;
                            detail_retention_days: number;
                            rollup_retention_days: number;
                            work_hours: {
                                start_hour: number;
                                end_hour: number;
                                days: number[];
                            };
                            dp_epsilon: number | null;
                            dp_budget: number;
                            /** @enum {unknown} */
                            dp_budget_period: "day" | "week" | "month";
                            updated_at: string;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Time per category for a person, a team (a manager's reporting chain) or the org, per day or week, under a named purpose. Aggregates are k-anonymous; suppressed cells carry released: false. */
        get: {
            parameters: {
                query: {
                    purpose: string;
                    level: "person" | "team" | "org";
                    period: "day" | "week";
                    from: string;
                    to: string;
                    subject?: string;
                    category?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            purpose: string;
                            /** @enum {unknown} */
                            level: "person" | "team" | "org";
                            /** @enum {unknown} */
                            period: "day" | "week";
                            from: string;
                            to: string;
                            subject: string | null;
                            category: string | null;
                            k: number;
                            settled_until: string | null;
                            people: number;
                            cells: {
                                period: string;
                                category: string;
                                released: boolean;
                                people?: number;
                                active_s?: number;
                                idle_s?: number;
                                work_s?: number;
                                omitted_days?: number;
                                paused_s?: number;
                            }[];
                            dp?: {
                                /** @enum {string} */
                                mechanism: "laplace";
                                epsilon: number;
                                budget?: {
                                    limit: number;
                                    /** @enum {unknown} */
                                    period: "day" | "week" | "month";
                                    period_start: string;
                                    resets_at: string;
                                    spent: number;
                                    remaining: number;
                                    charged: boolean;
                                };
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/activity.csv": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The same question as CSV (what the viewer may see; suppressed cells say "fewer than k people"). */
        get: {
            parameters: {
                query: {
                    purpose: string;
                    level: "person" | "team" | "org";
                    period: "day" | "week";
                    from: string;
                    to: string;
                    subject?: string;
                    category?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description RFC 4180 CSV, one line per cell. */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/csv": string;
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/me/scope": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the signed-in person may ask: purposes with their grants for this person, teams and people of their reporting chain, delegated categories, k. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            k: number;
                            purposes: {
                                key: string;
                                name: string;
                                grants: {
                                    /** @enum {unknown} */
                                    role: "employee" | "manager" | "delegate";
                                    /** @enum {unknown} */
                                    level: "person" | "team" | "org";
                                    /** @enum {unknown} */
                                    period: "day" | "week";
                                }[];
                            }[];
                            teams: {
                                id: string;
                                name: string;
                                size: number;
                            }[];
                            people: {
                                id: string;
                                name: string;
                                self: boolean;
                            }[];
                            categories: {
                                key: string;
                                name: string;
                            }[];
                            delegated_categories: string[];
                            can_configure: boolean;
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/me/timeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in person's own intervals (full detail), at most 5,000, under the my_data purpose. */
        get: {
            parameters: {
                query: {
                    from: string;
                    to: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            purpose: string;
                            intervals: {
                                id: string;
                                start: string;
                                end: string;
                                /** @enum {string} */
                                state: "active" | "idle" | "paused";
                                app: string | null;
                                category: string | null;
                                domain: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/pulse/me/reads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every read of the signed-in person's Pulse data, from the audit log: who, when, purpose, level and period. */
        get: {
            parameters: {
                query?: {
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            reads: {
                                seq: number;
                                at: string;
                                who: {
                                    id: string;
                                    name: string | null;
                                    self: boolean;
                                };
                                /** @enum {string} */
                                action: "read" | "export";
                                purpose: string | null;
                                level?: string;
                                period?: string;
                                from?: string;
                                to?: string;
                                category: string | null;
                            }[];
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/posture": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Re-check this deployment's controls now (TLS, RLS, database role, audit log and witnesses, key ages, MFA coverage, support grants); answers the checks and a DSSE envelope (application/vnd.parapet.posture+json) signed with the audit log key. */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @enum {unknown} */
                            overall: "pass" | "warn" | "fail";
                            checked_at: string;
                            key_id: string;
                            checks: {
                                id: string;
                                title: string;
                                /** @enum {unknown} */
                                status: "pass" | "warn" | "fail";
                                detail: string;
                            }[];
                            envelope: {
                                payloadType: string;
                                payload: string;
                                signatures: {
                                    keyid: string;
                                    sig: string;
                                }[];
                            };
                        };
                    };
                };
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Problem"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Problem: {
            type: string;
            title: string;
            status: number;
            code: string;
            detail?: string;
            instance?: string;
            request_id?: string;
        } & {
            [key: string]: unknown;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
