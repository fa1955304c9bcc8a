import Link from "next/link";

export default function NotFound() {
  return (
    <section className="card card-narrow">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <Link href="/" className="button secondary">
        Go home
      </Link>
    </section>
  );
}
