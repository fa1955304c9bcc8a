"use client";
import { useRouter } from "next/navigation";
import { useRef, useState, useTransition, type ChangeEvent } from "react";
import { TwofoldError, type User } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Avatar } from "@/app/components/Avatar";
import { EmailAddress } from "@/app/components/EmailAddress";
import { Button } from "@/app/components/Button";
import { FormError } from "@/app/components/FormError";
import { LocalTime } from "@/app/components/LocalTime";
import { Notice } from "@/app/components/Notice";
import { SignOutButton } from "@/app/components/SignOutButton";
import { AVATAR_MAX_BYTES, AVATAR_TYPES, avatarMessages } from "@/src/core/avatar-rules";

// The API's own rules and words, checked here too for instant feedback; the server still decides (it sniffs the
// bytes, so a file the browser could not type is left to it).
const acceptedTypes: readonly string[] = AVATAR_TYPES;

/** The page's identity block: picture, name, address, and the avatar upload and removal. */
export function AvatarEditor({ user }: { user: User }) {
  const router = useRouter();
  const form = useForm();
  const [notice, setNotice] = useState<string | null>(null);
  const [refreshing, startRefresh] = useTransition();
  const fileInput = useRef<HTMLInputElement>(null);

  async function upload(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = ""; // choosing the same file again must fire `change` again
    if (!file) return;
    setNotice(null);
    await form.run(async () => {
      if (file.type && !acceptedTypes.includes(file.type)) throw localError(415, avatarMessages.rule);
      if (file.size > AVATAR_MAX_BYTES) throw localError(413, avatarMessages.rule);
      await api.uploadAvatar(file, file.type);
      setNotice("Profile picture updated.");
      startRefresh(() => router.refresh());
    });
  }

  async function remove() {
    setNotice(null);
    await form.run(async () => {
      await api.deleteAvatar();
      setNotice("Profile picture removed.");
      startRefresh(() => router.refresh());
    });
  }

  const busy = form.pending || refreshing;
  const pictureAction = user.avatarUrl ? "Change picture" : "Upload picture";
  return (
    <section className="card" aria-labelledby="profile-title">
      <div className="identity">
        <Avatar user={user} />
        <div style={{ flex: "1 1 14rem", minWidth: 0 }}>
          <h1 id="profile-title">{user.name || "Your profile"}</h1>
          <p>
            <EmailAddress email={user.email} /> {user.emailVerified && <span className="badge success">Verified</span>}
          </p>
          <p className="muted small">
            Member since <LocalTime iso={user.createdAt} />
          </p>
        </div>
        <SignOutButton />
      </div>
      <div className="form-row" style={{ marginTop: "1.25rem" }}>
        <input
          ref={fileInput}
          id="avatar-file"
          type="file"
          accept={acceptedTypes.join(",")}
          className="visually-hidden"
          tabIndex={-1}
          // Reached by the button below, never by Tab, yet still an input to assistive technology: it needs a name,
          // one that differs from the button's, so "Upload picture" names one control.
          aria-label="Picture file"
          onChange={upload}
        />
        <Button
          variant="secondary"
          size="small"
          pending={busy}
          pendingText="Saving…"
          onClick={() => fileInput.current?.click()}
        >
          {pictureAction}
        </Button>
        {user.avatarUrl && (
          <Button variant="danger" size="small" disabled={busy} onClick={remove}>
            Remove picture
          </Button>
        )}
        <span className="muted small">{avatarMessages.hint}</span>
      </div>
      <div style={{ marginTop: form.error || notice ? "1rem" : 0 }}>
        <FormError error={form.error} ref={form.errorRef} />
        <Notice>{notice && <p>{notice}</p>}</Notice>
      </div>
    </section>
  );
}

function localError(status: number, message: string): TwofoldError {
  return new TwofoldError({ status, code: status === 413 ? "payload_too_large" : "unsupported_media_type", message });
}
