import { useId, type ReactNode } from 'react';

/**
 * The centred card of the pages shown without a tenant session (sign-in, invitation, vendor
 * support): the brand (`brand`, default "Parapet"), the page's h1 `title` naming the card's
 * `main` landmark, the body; `footer` goes below the card.
 */
export function SignInCard({ brand = 'Parapet', title, footer, children }: { brand?: string; title: ReactNode; footer?: ReactNode; children: ReactNode }) {
  const titleId = useId();
  return (
    <div className="signin-page">
      <main className="signin-card" aria-labelledby={titleId}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">{brand}</span>
        </div>
        <h1 id={titleId}>{title}</h1>
        {children}
      </main>
      {footer}
    </div>
  );
}
