/**
 * LookupEvents' documented limits, which the reader paces itself by and the review's defaults
 * follow.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */

/** LookupEvents allows 2 requests per second per account per region. */
export const LOOKUP_EVENTS_PER_SECOND = 2;

/** How long LookupEvents keeps events. */
export const LOOKUP_EVENTS_DAYS = 90;
