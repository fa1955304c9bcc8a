"use client";
import { useEffect } from "react";
import { Button } from "./components/Button";

// Shown when a page cannot load (usually: the API or its database is not answering). No details:
// error messages can carry internals, and the server log already has them.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <section className="card card-narrow">
      <h1>Something went wrong</h1>
      <p className="muted">We could not load this page. The service may be starting up or briefly unavailable.</p>
      <Button onClick={reset}>Try again</Button>
    </section>
  );
}
