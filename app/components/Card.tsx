import type { ReactNode } from "react";

interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  /** The page's main heading is an h1; sections inside a page use h2. */
  headingLevel?: 1 | 2;
  narrow?: boolean;
  footer?: ReactNode;
  id?: string;
  children?: ReactNode;
}

export function Card({ title, description, headingLevel = 1, narrow, footer, id, children }: CardProps) {
  const Heading = headingLevel === 1 ? "h1" : "h2";
  return (
    <section
      className={narrow ? "card card-narrow" : "card"}
      id={id}
      aria-labelledby={title && id ? `${id}-title` : undefined}
    >
      {(title || description) && (
        <header>
          {title && <Heading id={id ? `${id}-title` : undefined}>{title}</Heading>}
          {description && <p>{description}</p>}
        </header>
      )}
      {children}
      {footer && <div className="card-footer">{footer}</div>}
    </section>
  );
}
